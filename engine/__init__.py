"""stepgrad's engine: eager autograd on numpy with PyTorch's API (``import engine as torch``)."""

from . import autograd, gc_policy, observe  # noqa: F401  (gc_policy installs itself)
from ._dtype import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .device import device
from .functions import *
from .functions import max, min, pow
from .grad_mode import (
    enable_grad,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .inference import inference_mode  # (and Tensor.is_inference)
from . import tensor_hooks as _tensor_hooks  # noqa: F401  (post-accumulate-grad hooks)
from .printing import set_printoptions
from .promotion import promote_types
from .promotion import torch_result_type as result_type
from .sampling import bernoulli, multinomial, normal, randint_like
from .math_extra import *
from .arith_more import *
from .bitwise_logical import *
from .index_more import *
from .scatter_index import *
from .einsum import einsum
from .scan_ops import *
from .scatter_reduce import *
from . import windows as _windows  # noqa: F401  (Tensor.unfold)
from .serialization import load, save
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .tensor import Size, Tensor
from . import tensor_autograd, tensor_index  # noqa: E402,F401  Tensor methods
from . import tensor_reductions, tensor_shape  # noqa: E402,F401  Tensor methods
from .unsafe_split import unsafe_chunk, unsafe_split
from .warn_once import is_warn_always_enabled, set_warn_always
from . import inplace_ops, more_ops, views  # noqa: E402,F401  Tensor methods and op rows they add
from . import tensor_inplace  # noqa: E402,F401  item assignment and the in-place methods
from . import saved_values  # noqa: E402,F401  grad_fn._saved_<name>
from . import tensor_methods  # noqa: E402,F401  binds the torch.* functions of a Tensor
from .warn_once import quiet_numpy_warnings as _quiet

_quiet()

from .legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    __version__,
    accelerator,
    get_default_device,
    set_default_device,
    version,
)


_FROM_FUNCTIONAL = ("threshold", "threshold_", "celu", "selu")  # torch.X is F.X in PyTorch too


def __getattr__(name):
    # nn, optim, utils load on first use so `import engine` stays light
    if name in ("nn", "optim", "utils", "backends"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in _FROM_FUNCTIONAL:
        import importlib

        return getattr(importlib.import_module(".nn.functional", __name__), name)
    raise AttributeError(f"module 'engine' has no attribute '{name}'")


class cuda:
    @staticmethod
    def is_available():
        return False

    @staticmethod
    def manual_seed(seed):
        return None

    manual_seed_all = manual_seed

from . import op_binding as _op_binding  # noqa: E402

_op_binding.install(globals())  # torch.X, Tensor.X, Tensor.X_ of the elementwise rows' names

from . import aliases as _aliases  # noqa: E402  (after every Tensor method is in place)

_aliases.install(Tensor, globals())

# every op row is registered on `import engine` (engine.ops, and the composite rows that need
# the autograd engine); torch.nn itself loads on first use
from . import composite_nn as _composite_nn  # noqa: E402,F401
