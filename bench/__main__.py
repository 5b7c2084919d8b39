"""python -m bench [ingest|warehouse|quality|catalogue|refresh|sensor|engines|validate|all]"""

import sys

from bench import catalogue, ingest, quality, refresh, validate, warehouse

BENCHMARKS = {"ingest": ingest.run, "warehouse": warehouse.run, "quality": quality.run,
              "catalogue": catalogue.run, "refresh": refresh.run,
              "sensor": refresh.sensor, "engines": refresh.engines, "validate": validate.run}


def main() -> int:
    wanted = sys.argv[1:] or ["all"]
    for name in BENCHMARKS if wanted == ["all"] else wanted:
        print(f"== bench/{name}", flush=True)
        BENCHMARKS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
