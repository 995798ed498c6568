"""The tweetcare overview: "is the brand answering in time" on top, then a row per service and
one for what every consumer shares (lag, rebalances, batch and commit times, dead letters).

Every expression names only metrics the services export (tests/unit/test_deploy.py) and returns
data from the running demo (tests/e2e/test_prometheus_live.py).
"""

from __future__ import annotations

from services.dashboards.panels import Chart, Row, q


def _p(quantile: float, metric: str, window: str = "5m", by: str = "le") -> str:
    return f"histogram_quantile({quantile}, sum by ({by}) (rate({metric}_bucket[{window}])))"


ANSWERING = Row("Is the brand answering in time", [
    Chart("Open cases", [q("sum(tweetcare_sla_open_cases)", "open")], stat=True),
    Chart("Warnings and breaches, last hour",
          [q("sum by (kind) (increase(tweetcare_sla_fired_total[1h]))", "{{kind}}")], stat=True),
    Chart("First response p90 (15 min)",
          [q(_p(0.9, "tweetcare_sla_first_response_seconds", "15m"), "p90")],
          unit="s", stat=True),
    Chart("Open cases by queue", [q("sum by (queue) (tweetcare_sla_open_cases)", "{{queue}}")]),
    Chart("SLA warnings and breaches per minute, by queue",
          [q("sum by (queue, kind) (increase(tweetcare_sla_fired_total[1m]))",
             "{{queue}} {{kind}}")]),
    Chart("First response time p50 / p90", [
        q(_p(0.5, "tweetcare_sla_first_response_seconds", "15m"), "p50"),
        q(_p(0.9, "tweetcare_sla_first_response_seconds", "15m"), "p90"),
    ], unit="s"),
])  # fmt: skip

INGEST = Row("Ingest", [
    Chart("Tweets published per second, by source",
          [q("sum by (source) (rate(tweetcare_ingest_published_total[1m]))", "{{source}}")],
          unit="ops"),
    Chart("Tweets held back (duplicates, retweets)",
          [q("sum by (why) (tweetcare_ingest_held_back)", "{{why}}")]),
    Chart("Outbox: replies posted and failed per minute",
          [q("sum by (status) (increase(tweetcare_ingest_outbox_replies_total[1m]))",
             "{{status}}")]),
    Chart("X API calls per minute, by endpoint",
          [q("sum by (endpoint) (delta(tweetcare_ingest_x_api_calls[1m]))", "{{endpoint}}")]),
    Chart("X errors and rate-limit waits", [
        q("sum by (endpoint, code) (increase(tweetcare_ingest_x_api_errors_total[5m]))",
          "error {{endpoint}} {{code}}"),
        q("sum by (endpoint) (tweetcare_ingest_x_rate_limit_waits)", "429 waits {{endpoint}}"),
    ]),
    Chart("X estimated spend this month (USD); keyword search paused", [
        q("tweetcare_ingest_x_estimated_spend_usd", "spend"),
        q("tweetcare_ingest_optional_polling_paused", "paused"),
    ]),
])  # fmt: skip

TRIAGE = Row("Triage", [
    Chart("Tweets triaged per second, by queue",
          [q("sum by (queue) (rate(tweetcare_triage_tweets_total[1m]))", "{{queue}}")],
          unit="ops"),
    Chart("Triage: decision time per batch p99, tweet to triaged p99", [
        q(_p(0.99, "tweetcare_triage_decision_seconds"), "decide p99"),
        q(_p(0.99, "tweetcare_triage_latency_seconds"), "received → triaged p99"),
        q(_p(0.99, "tweetcare_ingest_publish_seconds"), "ingest publish p99"),
    ], unit="s"),
    Chart("Tweets by language and topic (last hour)",
          [q("sum by (lang, topic) (increase(tweetcare_triage_tweets_total[1h]))",
             "{{lang}} {{topic}}")]),
    Chart("Needs a reply (per second)",
          [q("sum by (needs_reply) (rate(tweetcare_triage_needs_reply_total[1m]))",
             "{{needs_reply}}")], unit="ops"),
])  # fmt: skip

SLA = Row("SLA", [
    Chart("Cases by state", [q("sum by (state) (tweetcare_sla_cases)", "{{state}}")]),
    Chart("SLA timer lag (fire minus due) p50 / p99", [
        q(_p(0.5, "tweetcare_sla_timer_lag_seconds"), "p50"),
        q(_p(0.99, "tweetcare_sla_timer_lag_seconds"), "p99"),
    ], unit="s"),
])  # fmt: skip

API = Row("API and read model", [
    Chart("Agent actions per minute, by kind and answer",
          [q("sum by (kind, answer) (increase(tweetcare_api_actions_total[1m]))",
             "{{kind}} {{answer}}")]),
    Chart("Action to outcome p99, API latency p99", [
        q(_p(0.99, "tweetcare_api_action_outcome_seconds"), "action outcome p99"),
        q(_p(0.99, "tweetcare_api_request_seconds"), "HTTP p99"),
    ], unit="s"),
    Chart("API requests per second, by status",
          [q("sum by (status) (rate(tweetcare_api_requests_total[1m]))", "{{status}}")],
          unit="reqps"),
    Chart("Read model: documents indexed, retries; live streams", [
        q("sum by (kind) (tweetcare_api_indexed_documents)", "indexed {{kind}}"),
        q("tweetcare_api_indexer_retries", "bulk retries"),
        q("tweetcare_api_live_streams", "live streams"),
    ]),
])  # fmt: skip

CONSUMERS = Row("Every service: up, Kafka consumers, dead letters", [
    Chart("Services up", [q('up{job=~"tweetcare-.*"}', "{{job}}")]),
    Chart("Dead letters per second, by topic and reason",
          [q("sum by (topic, reason) (rate(tweetcare_dead_letters_total[1m]))",
             "{{topic}} {{reason}}")], unit="ops", width=16),
    Chart("Consumer lag by group and topic", [
        q("sum by (group, topic) (tweetcare_kafka_consumer_lag)", "{{group}} {{topic}}"),
        q("sum by (group, topic) (tweetcare_kafka_consumer_committed_lag)",
          "{{group}} {{topic}} (committed)"),
    ], unit="short", width=24),
    # Each member counts every rebalance of its group: the max over members, not the sum.
    Chart("Rebalances in 15 minutes, by group",
          [q("max by (group) (increase(tweetcare_kafka_consumer_rebalances_total[15m]))",
             "{{group}}")]),
    Chart("Batch handling p99, by group",
          [q(_p(0.99, "tweetcare_kafka_consumer_batch_seconds", by="group, le"), "{{group}}")],
          unit="s"),
    Chart("Offset commit p99, by group",
          [q(_p(0.99, "tweetcare_kafka_consumer_commit_seconds", by="group, le"), "{{group}}")],
          unit="s"),
    Chart("Record batches Kafka did not acknowledge, per minute, by topic",
          [q("sum by (topic) (increase(tweetcare_kafka_produce_failures_total[1m]))",
             "{{topic}}")], width=24),
])  # fmt: skip

ROWS = [ANSWERING, INGEST, TRIAGE, SLA, API, CONSUMERS]
