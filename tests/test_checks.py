"""What a student sees when a check fails (utils.checks), in a real IPython shell."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from utils.checks import CheckFailed, check_close, check_equal


def test_a_failed_check_is_an_assertion_error_with_expected_and_got_first() -> None:
    with pytest.raises(AssertionError) as info:
        check_close("w", [1.0, 2.0], [1.0, 2.5])
    assert isinstance(info.value, CheckFailed)
    assert str(info.value).startswith("w: expected [1.  2.5], got [1. 2.]")


def test_the_hint_comes_on_its_own_line_and_only_on_failure() -> None:
    check_equal("top", "logP", "logP", hint="never shown")
    with pytest.raises(CheckFailed) as info:
        check_close("intercept", 1.0, 0.0, hint="is the intercept penalised?")
    assert str(info.value).splitlines() == [
        "intercept: expected 0.0, got 1.0 (1 of 1 values differ, largest difference 1)",
        "Hint: is the intercept penalised?",
    ]


def test_ipython_shows_the_message_and_no_frame_of_the_checks_module(capsys: pytest.CaptureFixture[str]) -> None:
    shell = InteractiveShell.instance()
    shell.run_cell("from utils.checks import check_close\ncheck_close('b', 1.0, 0.0, hint='look at the sign')")
    shown = capsys.readouterr().out
    lines = [line for line in shown.splitlines() if line.strip()]
    assert "expected 0.0, got 1.0" in lines[0], shown
    assert lines[1] == "Hint: look at the sign"
    assert "checks.py" not in shown and "Traceback" not in shown
