"""Text code more than one service needs: personal data in a text (:mod:`.pii`, triage finds it
in tweets, the API in replies) and bilingual full-text queries (:mod:`.search`)."""
