"""The debugger stops a script through the runner's ``ScriptThread``: a thread stuck in a C call
is abandoned, stepping works while it is still stuck (a guard for the CPython 3.11 async flag,
see ``desktop.async_stop``), and its pending StopScript ends it once it runs Python again."""

import time

from desktop.debugger import DebugSession


def test_stepping_works_while_an_abandoned_debug_thread_is_still_stuck():
    s = DebugSession("import time\ntime.sleep(3)\nwhile True:\n    pass\n")
    s.continue_()
    time.sleep(0.2)
    worker = s._run._thread
    s.stop()
    result = s.wait(3)
    assert result.status == "stopped" and result.extras["abandoned"]
    assert result.error.message == "stopped by user"
    assert worker.is_alive()  # still in time.sleep

    stepped = DebugSession("def f():\n    return 1\nx = f()\n")
    stepped.step_into()
    assert stepped.wait_stop(5).line == 1
    stepped.step_into()
    assert stepped.wait_stop(5).line == 3
    stepped.step_into()
    assert stepped.wait_stop(5).function == "f"
    stepped.continue_()
    assert stepped.wait(5).status == "finished"

    worker.join(6)  # its StopScript lands once the sleep returns
    assert not worker.is_alive()
