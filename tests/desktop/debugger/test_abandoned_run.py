"""The debugger stops a script through the runner's ``ScriptThread``: a thread stuck in a C call
is abandoned, stepping works while it is still stuck (a guard for the CPython 3.11 async flag,
see ``desktop.async_stop``), and its pending StopScript ends it once it runs Python again."""

import os
import select
import time

from desktop.debugger import DebugSession


def test_stepping_works_while_an_abandoned_debug_thread_is_still_stuck():
    # the script blocks in a C call (a read on a pipe) until the test writes to the pipe: it is
    # stuck for exactly as long as the test needs, however slow the machine
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    try:
        s = DebugSession(f"import os\nos.write({ready_w}, b'r'); os.read({r}, 1)\n"
                         "while True:\n    pass\n")
        s.continue_()
        worker = s._run._thread
        assert select.select([ready_r], [], [], 10)[0], "the script never ran"
        time.sleep(0.05)  # from the write to the read: a few bytecodes
        s.stop()
        result = s.wait(10)
        assert result.status == "stopped" and result.extras["abandoned"]
        assert result.error.message == "stopped by user"
        assert worker.is_alive()  # still in os.read

        stepped = DebugSession("def f():\n    return 1\nx = f()\n")
        stepped.step_into()
        assert stepped.wait_stop(5).line == 1
        stepped.step_into()
        assert stepped.wait_stop(5).line == 3
        stepped.step_into()
        assert stepped.wait_stop(5).function == "f"
        stepped.continue_()
        assert stepped.wait(5).status == "finished"
        assert worker.is_alive()

        os.write(w, b"x")  # the read returns; the pending StopScript lands in the loop
        worker.join(10)
        assert not worker.is_alive()
    finally:
        for fd in (r, w, ready_r, ready_w):
            os.close(fd)
