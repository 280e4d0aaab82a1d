# Gunicorn reads this file from the directory it starts in: the access log goes through the
# same redaction as every other log line (config/gunicorn_logging.py).
logger_class = "config.gunicorn_logging.RedactingLogger"
