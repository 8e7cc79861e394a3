"""Extensions, one per module: ``archive`` (the archive's owner and the crawl lock),
``report`` (progress and summary), ``throttle`` (AutoThrottle that counts a 304 as a success),
``worker`` (membership of a shared Redis frontier), ``collector`` (the garbage collector set
for a crawl)."""
