"""Practice scores: one count per question, saved as JSON and read back leniently."""

from desktop.practice.score import Scores


def test_each_question_counts_once():
    s = Scores()
    assert s.record("linear-sgd", "MeanBackward0:loss:0", True)
    assert not s.record("linear-sgd", "MeanBackward0:loss:0", False)  # stepped back, asked again
    assert s.record("linear-sgd", "AccumulateGrad:b", False)
    assert s.get("linear-sgd").text() == "1/2"
    assert s.get("other").text() == ""


def test_round_trip_and_malformed_entries_dropped():
    s = Scores()
    s.record("a", "q1", True)
    s.record("a", "q2", True)
    back = Scores.from_json(s.to_json())
    assert back.get("a").text() == "2/2"
    assert not back.record("a", "q1", False)
    bad = Scores.from_json({"x": {"right": 3, "asked": 1}, "y": "no", 5: {},
                            "z": {"right": 1, "asked": 2, "seen": [1, 2]}})
    assert set(bad.by_lesson) == {"z"} and bad.get("z").seen == set()
    assert Scores.from_json(["not", "a", "dict"]).by_lesson == {}
