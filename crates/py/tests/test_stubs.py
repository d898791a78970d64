"""The type stubs (gar.pyi) describe the module as it is: the same functions with the
same parameters, the same exception classes."""

import ast
import inspect
from pathlib import Path

import gar

STUB = Path(__file__).resolve().parents[1] / "gar.pyi"


def test_stub_functions_and_classes_match_the_module():
    tree = ast.parse(STUB.read_text())
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    public = {k for k in dir(gar) if not k.startswith("_")}
    assert set(funcs) | classes == public - {"gar"}
    for name, node in funcs.items():
        sig = inspect.signature(getattr(gar, name))
        stub_params = [a.arg for a in node.args.posonlyargs + node.args.args]
        stub_params += [a.arg for a in node.args.kwonlyargs]
        if node.args.vararg:
            stub_params.append(node.args.vararg.arg)
        if node.args.kwarg:
            stub_params.append(node.args.kwarg.arg)
        assert stub_params == list(sig.parameters), name
        assert getattr(gar, name).__doc__, f"{name} has no docstring"
    for c in classes:
        assert issubclass(getattr(gar, c), gar.GarError)
