"""Reads wrk --latency output on stdin; prints one TSV line:
round, variant, requests, seconds, requests/s, p50 (us), p99 (us), non-2xx, server CPU ticks."""
import re
import sys

UNITS = {"us": 1.0, "ms": 1000.0, "s": 1e6}


def micros(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * UNITS[unit]


out = sys.stdin.read()
round_, variant, ticks = sys.argv[1], sys.argv[2], sys.argv[3]
requests, seconds = re.search(r"(\d+) requests in ([\d.]+)(s|ms|m)", out).groups()[:2]
rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
p50 = micros(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
p99 = micros(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
non2xx = non2xx.group(1) if non2xx else "0"
errors = re.search(r"Socket errors: (.*)", out)
if non2xx != "0" or errors:
    sys.stderr.write(f"{variant}: non-2xx {non2xx}, socket errors: {errors and errors.group(1)}\n")
print("\t".join([round_, variant, requests, seconds, rps, f"{p50:.1f}", f"{p99:.1f}", non2xx, ticks]))
