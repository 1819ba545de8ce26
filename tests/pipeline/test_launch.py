"""Session results as `run_sessions` returns them."""

from emostream.pipeline.launch import SessionResult


def test_a_session_results_repr_does_not_grow_with_its_rows():
    # asyncio formats the run's result as it ends (signal.getsignal on Python 3.11): a repr
    # of every row cost a processed hour of E4 data 0.2 s.
    one = SessionResult(None, [{"hr_bpm": 60.0}], [{"state": "calm"}], [(0.0, "rest")])
    many = SessionResult(None, [{"hr_bpm": 60.0}] * 1000, [{"state": "calm"}] * 1000)
    assert repr(one) == repr(many)
