"""What operators see of a running bot: Prometheus metrics, ``/healthz``, and logs with a request id.

Nothing here changes what the bot answers; the command core reports each invocation once
(``requests.observe``), and the server reads the rest (engine, job states) when scraped.
"""
