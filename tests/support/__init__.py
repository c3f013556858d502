"""Test support shared by the tests and the benchmarks: the sandbox cluster and its fixtures
(:mod:`tests.support.sandbox`), a scripted WebRTC visitor (:mod:`tests.support.visitor`) and a ``dhe serve`` child process
(:mod:`tests.support.server_process`), Chromium's path and switches (:mod:`tests.support.browser`). Never imported by the engine, dialog, connectors or avatar."""
