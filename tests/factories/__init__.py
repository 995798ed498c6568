"""Events and cases built for tests (our own words, never text from ../shared/data): tweets
(:mod:`.tweets`), triaged tweets and actions for the SLA (:mod:`.sla`), cases, case events and
tweets for the read model (:mod:`.readmodel`), labelled tweets and answered conversations to train
triage models on (:mod:`.labelled`)."""
