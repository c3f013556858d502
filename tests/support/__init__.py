"""Test support shared by the tests and the benchmarks: the sandbox cluster and its fixtures
(:mod:`tests.support.sandbox`), a scripted WebRTC visitor and a ``dhe serve`` child process
(:mod:`tests.support.visitor`). Never imported by the engine, dialog, connectors or avatar."""
