"""The build step of the default avatar (``python -m avatar.generate``); not used at run time.

The head is the MIT-licensed ICT-FaceKit neutral head with its 53 ARKit morph targets
(:mod:`avatar.asset.ict`); eyes, brows, hair, suit, shirt, tie, name badge, skeleton and skin
weights are the project's own, generated here from code (numpy).
"""
