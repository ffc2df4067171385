"""Text classification of mentions into the city's complaint categories.

The rest of aduan sees only :func:`classifier.model.load_active` and
``Predictor.predict(texts) -> list[Prediction]``.
"""
