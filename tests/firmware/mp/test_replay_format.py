"""firmware/replay.py's number printing: fixed-point text without floats, signs included."""

import replay


def test_thousandths_print_with_their_sign():
    got = [replay._t(v) for v in (0, 5, 1234, -106, -1000, -1)]
    assert got == ["0.000", "0.005", "1.234", "-0.106", "-1.000", "-0.001"], got


def test_millilitres_print_with_their_sign():
    got = [replay._ml(v) for v in (0, 1030, -1030, 515)]
    assert got == ["0.00", "1.00", "-1.00", "0.50"], got
