"""The conduct classifier: character and word n-gram TF-IDF with logistic regression.

Owns the model that gives every conduct category a probability for texts no rule recognises.
Character n-grams (``char_wb`` 1-4) read Chinese and Cantonese without segmentation and survive
typos; word n-grams (1-2) carry English phrasing. Digits are collapsed before the features see
them (an account, card or phone number says nothing about the conduct category, but its digits
would otherwise match whichever training rows happened to hold numbers). Fitted on the project's
own training utterances in a few seconds, deterministically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from use_cases.customer_service.conduct.data import ConductCategory

CLASSIFIER_ID = "classifier:tfidf_char_word_lr"
_DIGITS = re.compile(r"\d+(?:[ ,.\-/]\d+)*")


def classifier_text(text: str) -> str:
    """The folded text as the classifier reads it: every run of digits becomes ``0``."""
    return _DIGITS.sub("0", text)


def build_classifier(c: float = 8.0, seed: int = 0) -> Pipeline:
    """The untrained pipeline over already folded texts."""
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(1, 4),
                    sublinear_tf=True,
                    min_df=2,
                    lowercase=False,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    sublinear_tf=True,
                    token_pattern=r"(?u)\b\w+\b",
                    lowercase=False,
                ),
            ),
        ]
    )
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)
    return Pipeline([("features", features), ("model", model)])


class ConductClassifier:
    """A fitted pipeline and its category order."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.categories = [ConductCategory(c) for c in pipeline.classes_]

    @classmethod
    def fit(
        cls, texts: Sequence[str], categories: Sequence[ConductCategory], c: float = 8.0
    ) -> ConductClassifier:
        """Fit on folded texts and their categories."""
        pipeline = build_classifier(c=c)
        # One BLAS thread: small sparse problems run several times slower when BLAS threads
        # compete for the two cores.
        with threadpool_limits(limits=1):
            pipeline.fit(
                [classifier_text(t) for t in texts], [category.value for category in categories]
            )
        return cls(pipeline)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """``(n_texts, n_categories)`` probabilities, columns in :attr:`categories` order."""
        with threadpool_limits(limits=1):
            return self.pipeline.predict_proba([classifier_text(t) for t in texts])
