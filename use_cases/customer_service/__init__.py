"""Customer-service use case: intent routing on BANKING77 and the guarded bank assistant."""
