"""Each application's template box and verifier, set by create_app (AppState knows no domain)."""

from __future__ import annotations

import functools
import weakref

from hetao import sealing
from hetao.biometrics.gate import FaceCheck
from hetao.biometrics.sealed import TemplateBox
from hetao.biometrics.verifier import FaceVerifier
from hetao.profiles.schema import FacesSection

_VERIFIERS: weakref.WeakKeyDictionary[object, FaceVerifier] = weakref.WeakKeyDictionary()


def install(app: object, box: TemplateBox, verifier: FaceVerifier | None = None) -> None:
    """Give ``app`` its template box and, to replace the built-in one, another verifier."""
    sealing.install(app, box)
    if verifier is not None:
        _VERIFIERS[app] = verifier


def template_box(app: object) -> TemplateBox:
    return sealing.box_of(app, TemplateBox)


@functools.cache
def _builtin() -> FaceVerifier:
    # Imported on first use: dlib's models load only where a face is compared.
    from hetao.biometrics.dlib_verifier import DlibVerifier

    return DlibVerifier()


def verifier_of(app: object) -> FaceVerifier:
    """The verifier ``install`` gave ``app``, else the built-in one."""
    return _VERIFIERS.get(app) or _builtin()


def face_check(app: object, faces: FacesSection | None) -> FaceCheck:
    """What turns a gate's face claim into facts for ``app``, under the profile's ``faces``."""
    return FaceCheck(faces=faces, verifier=verifier_of(app), box=template_box(app))


def builtin_face_check(box: TemplateBox, faces: FacesSection | None) -> FaceCheck:
    """The same for a process without the app (the JetStream consumer): the built-in verifier
    and the data directory's template key, so an event is decided as over HTTP."""
    return FaceCheck(faces=faces, verifier=_builtin(), box=box)
