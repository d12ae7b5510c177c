"""`pumpmon babybuddy push | setup` against an in-process fake that follows Baby Buddy 2.x's
pumping contract (tests/host/fake_babybuddy.py)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import stat

import pytest
from emulated_device import START_TIME_S, archive_of
from fake_babybuddy import FakeBabyBuddy
from pumpmon import cli
from pumpmon.annotations import Annotations
from pumpmon.archive import EPOCH_2000_UNIX_S, Archive

TOKEN = "tok-3f9a1c7e5b2d"


pytestmark = pytest.mark.usefixtures("no_babybuddy_settings")


@pytest.fixture
def arc_dir(tmp_path):
    """Sessions 1-3 complete, 4 cut short, 5 without a clock time."""
    return archive_of(tmp_path / "arc", 5, incomplete=(4,), no_clock=(5,))


def _push(capsys, arc_dir, url, *extra, token=TOKEN, child="1"):
    code = cli.main(
        [
            "babybuddy",
            "push",
            "--archive",
            str(arc_dir),
            "--url",
            url,
            "--token",
            token,
            "--child",
            child,
            *extra,
        ]
    )
    out = capsys.readouterr()
    return code, out.out, out.err


def _complete_rows(arc_dir):
    with Archive.open(arc_dir) as arc:
        return [r for r in arc.list() if r["complete"] and r["start_unix_s"] is not None]


def _instant(text):
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when.timestamp()


def test_push_sends_each_complete_session_once_with_its_ml_start_and_end(arc_dir, capsys):
    rows = _complete_rows(arc_dir)
    assert len(rows) == 3
    with FakeBabyBuddy(token=TOKEN) as bb:
        code, out, err = _push(capsys, arc_dir, bb.url)
        assert code == 0, err
        assert len(bb.entries) == 3
        for row, entry in zip(rows, sorted(bb.entries, key=lambda e: e["start"])):
            assert entry["amount"] == pytest.approx(row["volume_ml"], abs=0.05)
            assert _instant(entry["start"]) == pytest.approx(row["start_unix_s"], abs=1)
            assert _instant(entry["end"]) == pytest.approx(
                row["start_unix_s"] + row["duration_s"], abs=1
            )
            assert "amount in mL" in entry["notes"] and "letdown" in entry["notes"]
            assert entry["tags"] == ["pumpmon"]
        assert all(path.startswith("/api/pumping/") for _m, path, _h in bb.requests)
        assert all(h.get("Authorization") == "Token " + TOKEN for _m, _p, h in bb.requests)
        assert "not sent: 1 sessions without a clock time" in out and "1 cut short" in out
        with Annotations.open(arc_dir) as notes:
            recorded = notes.pushed("%s child=1" % bb.url)
        assert sorted(recorded.values()) == sorted(e["id"] for e in bb.entries)

        posts = bb.posts
        code, out, _err = _push(capsys, arc_dir, bb.url)
        assert code == 0
        assert bb.posts == posts and len(bb.entries) == 3
        assert "nothing new to send" in out


def test_a_lost_answer_after_the_entry_was_stored_is_not_posted_again(arc_dir, capsys):
    with FakeBabyBuddy(token=TOKEN) as bb:
        bb.lose_next_answer = True
        code, _out, err = _push(capsys, arc_dir, bb.url)
        assert code == 1
        assert len(err.strip().splitlines()) == 1 and "push again" in err
        assert len(bb.entries) == 1  # stored, though we never heard so
        with Annotations.open(arc_dir) as notes:
            assert notes.pushed("%s child=1" % bb.url) == {}

        code, out, err = _push(capsys, arc_dir, bb.url)
        assert code == 0, err
        assert len(bb.entries) == 3 and bb.posts == 3
        assert "already in Baby Buddy as entry 1" in out
        with Annotations.open(arc_dir) as notes:
            assert sorted(notes.pushed("%s child=1" % bb.url).values()) == [1, 2, 3]


def test_a_lost_answer_from_a_server_that_rounds_the_start_is_not_posted_twice(arc_dir, capsys):
    with FakeBabyBuddy(token=TOKEN) as bb:
        bb.round_start_to_minute = True  # the exact-start look-up misses our entry
        bb.lose_next_answer = True
        assert _push(capsys, arc_dir, bb.url)[0] == 1
        code, out, err = _push(capsys, arc_dir, bb.url)
        assert code == 0, err
        assert len(bb.entries) == 3 and "already in Baby Buddy as entry 1" in out


def test_a_push_cut_between_the_server_and_the_record_posts_nothing_twice(
    arc_dir, capsys, monkeypatch
):
    real = Annotations.record_push

    def cut(self, *args):
        raise KeyboardInterrupt  # the power goes after the server stored the entry

    with FakeBabyBuddy(token=TOKEN) as bb:
        monkeypatch.setattr(Annotations, "record_push", cut)
        code, _out, _err = _push(capsys, arc_dir, bb.url)
        assert code == 130 and len(bb.entries) == 1
        monkeypatch.setattr(Annotations, "record_push", real)
        code, _out, err = _push(capsys, arc_dir, bb.url)
        assert code == 0, err
        assert len(bb.entries) == 3
        starts = [e["start"] for e in bb.entries]
        assert len(set(starts)) == 3


def test_a_bad_token_is_403_one_line_exit_1_and_never_printed(arc_dir, capsys):
    wrong = "wrong-token-8c1e"
    with FakeBabyBuddy(token=TOKEN) as bb:
        code, out, err = _push(capsys, arc_dir, bb.url, token=wrong)
        assert code == 1
        assert len(err.strip().splitlines()) == 1
        assert "refused the token (HTTP 403)" in err
        assert wrong not in out + err and TOKEN not in out + err
        assert bb.entries == []


def test_an_overlapping_entry_is_refused_by_key_and_that_session_stays_unsent(arc_dir, capsys):
    rows = _complete_rows(arc_dir)
    with FakeBabyBuddy(token=TOKEN) as bb:
        start = dt.datetime.fromtimestamp(rows[1]["start_unix_s"] + 60, dt.UTC)
        bb.entries.append(
            {
                "id": 1,
                "child": 1,
                "amount": 5.0,
                "start": start.isoformat(),
                "end": (start + dt.timedelta(minutes=10)).isoformat(),
            }
        )
        code, _out, err = _push(capsys, arc_dir, bb.url)
        assert code == 1
        lines = err.strip().splitlines()
        assert len(lines) == 1
        assert "session %s not sent: it overlaps another pumping entry" % rows[1]["id"] in err
        assert len(bb.entries) == 3  # the parent's own entry and sessions 1 and 3
        with Annotations.open(arc_dir) as notes:
            sent = notes.pushed("%s child=1" % bb.url)
        assert rows[1]["sha256"] not in sent and len(sent) == 2


def test_a_start_in_the_future_by_the_server_clock_is_refused(arc_dir, capsys):
    with FakeBabyBuddy(token=TOKEN) as bb:
        bb.now = dt.datetime.fromtimestamp(START_TIME_S + EPOCH_2000_UNIX_S, dt.UTC)
        code, _out, err = _push(capsys, arc_dir, bb.url)
        assert code == 1
        assert err.count("refused its start") == 3 and "future" in err
        assert bb.entries == []


def test_a_baby_buddy_1x_server_gets_needs_2_0(arc_dir, capsys):
    with FakeBabyBuddy(token=TOKEN, version=1) as bb:
        code, _out, err = _push(capsys, arc_dir, bb.url)
        assert code == 1 and "needs Baby Buddy 2.0" in err
        assert bb.posts == 0


def test_an_unknown_child_is_one_line(arc_dir, capsys):
    with FakeBabyBuddy(token=TOKEN) as bb:
        code, _out, err = _push(capsys, arc_dir, bb.url, child="9")
        assert code == 1 and len(err.strip().splitlines()) == 1
        assert "no child 9" in err and bb.entries == []


def test_a_wrong_address_is_404_one_line(arc_dir, capsys):
    with FakeBabyBuddy(token=TOKEN) as bb:
        code, _out, err = _push(capsys, arc_dir, bb.url + "/babybuddy")
        assert code == 1 and len(err.strip().splitlines()) == 1
        assert "HTTP 404" in err


def test_the_fake_answers_500_without_the_trailing_slash():
    import urllib.error
    import urllib.request

    with FakeBabyBuddy(token=TOKEN) as bb:
        req = urllib.request.Request(
            bb.url + "/api/pumping",
            method="POST",
            data=b"{}",
            headers={"Authorization": "Token " + TOKEN},
        )
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == 500


def test_refused_and_silent_servers_are_one_line_exit_1(arc_dir, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _out, err = _push(capsys, arc_dir, "http://127.0.0.1:%d" % port)
    assert code == 1 and "connection refused" in err and len(err.strip().splitlines()) == 1

    with socket.socket() as silent:  # accepts the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        code, _out, err = _push(
            capsys, arc_dir, "http://127.0.0.1:%d" % silent.getsockname()[1], "--timeout", "0.5"
        )
    assert code == 1 and "0.5 s" in err and len(err.strip().splitlines()) == 1


def test_setup_writes_a_0600_file_without_printing_the_token_and_push_uses_it(
    arc_dir, capsys, tmp_path, monkeypatch
):
    with FakeBabyBuddy(token=TOKEN) as bb:
        code = cli.main(
            ["babybuddy", "setup", "--url", bb.url + "/", "--token", TOKEN, "--child", "1"]
        )
        out = capsys.readouterr()
        assert code == 0 and TOKEN not in out.out + out.err
        path = tmp_path / "config" / "pumpmon" / "babybuddy.json"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        code = cli.main(["babybuddy", "push", "--archive", str(arc_dir)])
        assert code == 0, capsys.readouterr().err
        assert len(bb.entries) == 3

    # the environment overrides the file: a server that is not running is tried, and says so
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PUMPMON_BABYBUDDY_URL", "http://127.0.0.1:%d" % port)
    code = cli.main(["babybuddy", "push", "--archive", str(arc_dir)])
    err = capsys.readouterr().err
    assert code == 1 and "127.0.0.1:%d" % port in err


def test_missing_settings_are_one_line_exit_2(arc_dir, capsys):
    code = cli.main(["babybuddy", "push", "--archive", str(arc_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "babybuddy setup" in err and len(err.strip().splitlines()) == 1


def test_dry_run_and_since_send_nothing_and_pick_sessions(arc_dir, capsys):
    rows = _complete_rows(arc_dir)
    with FakeBabyBuddy(token=TOKEN) as bb:
        code, out, _err = _push(capsys, arc_dir, bb.url, "--dry-run")
        assert code == 0 and bb.requests == []
        assert out.count("would send session") == 3
        since = dt.datetime.fromtimestamp(rows[1]["start_unix_s"], dt.UTC).isoformat()
        code, _out, err = _push(capsys, arc_dir, bb.url, "--since", since)
        assert code == 0, err
        assert len(bb.entries) == 2
