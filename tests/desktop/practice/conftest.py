import sys
from pathlib import Path

# the debugger tests' synchronous driver steps lessons here too
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "debugger"))
