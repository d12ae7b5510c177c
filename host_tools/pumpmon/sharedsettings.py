"""The settings the host and the device share: `units` and `bottle1_side`.

    remember_device_settings(dev, archive_root, new_shas, say)   # from `pumpmon pull`

Both are set on the device (`pumpmon config set units=oz bottle1_side=right`), where the
schema checks them (firmware/config.py). Each pull reads the device's configuration and keeps
these values in the archive's annotations (annotations.py), so that `sessions`, `show`,
`export`, `plot`, `trends` and `report` use the device's unit without the device at hand
(`--units` overrides it), and each session pulled now is stamped with the side bottle 1 was
set to. A failure here is reported and never fails the pull.
"""

from __future__ import annotations

import sqlite3

from .annotations import Annotations, AnnotationsError

SHARED_KEYS = ("units", "bottle1_side")


def remember_device_settings(dev, archive_root, new_shas: list[str], say=print) -> dict:
    """Read the device's config, keep the shared keys, stamp the new sessions' side.
    Returns {key: value} kept ({} when the config could not be read)."""
    from .cmd_device import read_device_config
    from .transport import DeviceCodeError

    try:
        _raw, cfg, _problems = read_device_config(dev)
    except DeviceCodeError as e:
        say(
            "could not read the device's settings (units, bottle1_side): %s"
            % e.args[0].splitlines()[-1]
        )
        return {}
    kept = {k: cfg[k] for k in SHARED_KEYS if isinstance(cfg.get(k), str)}
    try:
        with Annotations.open(archive_root) as notes:
            for key, value in kept.items():
                notes.set_setting(key, value, source="device")
            side = kept.get("bottle1_side")
            if side:
                for sha in new_shas:
                    notes.set_side(sha, side, source="device")
    except (AnnotationsError, sqlite3.Error) as e:
        say("could not keep the device's settings in the archive: %s" % e)
        return {}
    return kept
