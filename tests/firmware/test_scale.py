"""Scale: counts -> mg with integer arithmetic that never leaves the ESP32's small ints."""

import pytest


@pytest.mark.parametrize("mg_per_count", [0.466, 0.7225, 1.0, 3.3, 47.5, -0.52])
def test_to_mg_matches_the_float_factor_across_the_24_bit_range(mpy_json, mg_per_count):
    got = mpy_json(f"""
        import json
        from pipeline.scale import Scale
        s = Scale({mg_per_count}, tare_counts=-1234)
        worst = 0
        biggest = 0
        for d in (0, 1, 4095, 4096, 99999, 1234567, 8388607, 16777215, -16777215, -77):
            mg = s.to_mg(d - 1234)
            exact = d * {mg_per_count}
            worst = max(worst, abs(mg - exact))
            biggest = max(biggest, abs(s.mult) * 4096)
        print(json.dumps({{"worst": worst, "biggest": biggest}}))
    """)
    # at most 2 mg of truncation, plus the 17-bit factor's relative error
    assert got["worst"] <= 2 + abs(mg_per_count) * 16777215 / 65536
    assert got["biggest"] < 2**29


def test_tare_from_takes_the_median_of_readings(mpy):
    out = mpy("""
        from pipeline.scale import Scale
        readings = iter([100, 102, 5000, 101, 99, 103, 100, -4000, 101])
        s = Scale(1.0)
        print(s.tare_from(lambda: next(readings), samples=9))
    """)
    assert out.strip() == "101"


def test_a_zero_calibration_factor_is_refused_with_a_message(mpy):
    out = mpy("""
        from pipeline.scale import Scale
        try:
            Scale(0)
        except ValueError as e:
            print("refused:", e)
    """)
    assert out.startswith("refused:") and "calibration" in out
