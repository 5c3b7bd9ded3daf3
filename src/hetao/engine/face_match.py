"""The reasons a traveller's face match gives at a crossing point (issue 20).

A match only confirms that the document's holder is the one crossing: these reasons add an
officer's check, never a release the whitelist does not give.
"""

from __future__ import annotations

from hetao.engine.facts import Outcome, PersonFacts
from hetao.engine.reasons import Param, Reason, reason
from hetao.profiles.schema import CrossingPoint, FacesSection

#: Who compared the face, for the "face.matched" reason.
SOURCES: dict[str, Param] = {
    "gate": {"en": "the gate's own match", "zh-Hant": "閘機自行比對", "zh-Hans": "闸机自行比对"},
    "hetao": {"en": "hetao's verifier", "zh-Hant": "平台核驗程式", "zh-Hans": "平台核验程序"},
}


def face_reasons(
    person: PersonFacts,
    faces: FacesSection | None,
    point_name: Param,
    *,
    at: CrossingPoint | None,
    who: str = "",
) -> list[Reason]:
    """The reasons of the person's face match at crossing point ``at``: INSPECT unless it
    matched; none without a face match."""
    face, person_id = person.face, person.person_id
    if face is None:
        return []
    if faces is None:
        return [reason("face.not_verified_here", Outcome.INSPECT, who)]
    if not face.enrolled or person_id is None:
        return [reason("face.not_enrolled", Outcome.INSPECT, who)]
    if face.score is None:
        return [reason("face.not_compared", Outcome.INSPECT, who, problem=face.problem or "-")]
    threshold = faces.default_threshold if at is None else faces.threshold_at(at.code)
    score, limit = f"{face.score:.2f}", f"{threshold:.2f}"
    found: list[Reason] = []
    if faces.liveness_required and not face.liveness:
        found.append(reason("face.no_liveness", Outcome.INSPECT, who))
    if face.score < threshold:
        found.append(
            reason(
                "face.below_threshold",
                Outcome.INSPECT,
                who,
                score=score,
                threshold=limit,
                point=point_name,
            )
        )
    if found:
        return found
    source = SOURCES.get(face.source, face.source)
    return [
        reason("face.matched", Outcome.RELEASE, who, score=score, threshold=limit, source=source)
    ]
