"""Camera perception: presence, emotion, gestures and who is speaking, from MediaPipe Tasks.

Sans-IO cores (``core``, ``presence``, ``emotion``, ``gestures``, ``hand_shape``, ``speaker``,
``pacing``) take frame observations with their stream time and return decisions; thin adapters
run the models (``mediapipe_models``, ``canned``) on a worker thread (``worker``) or over a file
(``perceive``). Frames are never stored or logged. See docs/perception.md.
"""
