"""Language identification with langdetect, made reproducible.

langdetect is random unless seeded; we seed it once, and also build a fresh detector per call so
that the result for a text never depends on what was detected before it.
"""

from __future__ import annotations

import re

PREFIX_CHARS = 1000  # same answer as 3,000 on 300 of 300 date-set pages, at 2.2 ms instead of 5.3


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when there is too little text to tell."""
    from langdetect import detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    sample = text[:PREFIX_CHARS]
    if len(re.findall(r"[^\W\d_]", sample)) < 20:
        return None
    if detector_factory._factory is None:
        detector_factory.init_factory()
    detector_factory._factory.set_seed(0)
    detector = detector_factory._factory.create()
    detector.append(sample)
    try:
        lang: str = detector.detect()
    except LangDetectException:
        return None
    return None if lang == "unknown" else lang
