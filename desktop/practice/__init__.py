"""Predict, then reveal: the learner computes a gradient (or a line's result) before the
debugger shows it, and gets told what was right or which classic mistake was made (no Qt).

- ``answer``: turn what the learner typed (a number, a tensor in PyTorch syntax, or an
  expression in the script's names) into an array.
- ``mistakes``: compare with the engine's value; name the mistake (transposed, a missing sum
  over a broadcast axis, a missing ReLU mask, a sign error, a constant factor).
- ``questions``: what to ask at a backward step or before a line, and lessons' exercises.
- ``score``: per-lesson scores, kept in the session file.
- ``by_hand``: compare the gradients a learner derived by hand with autograd's, line by line.
"""
