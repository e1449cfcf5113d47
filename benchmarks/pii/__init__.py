"""PII benchmark: a seeded, labelled Hong Kong banking corpus and the redaction benchmark."""
