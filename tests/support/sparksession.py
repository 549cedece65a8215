"""A local Spark session for the test session, serving Spark Connect too where the installed pyspark ships it.

One JVM does both: the session runs Spark Connect's plugin on 127.0.0.1 and a free port, so `sc://127.0.0.1:PORT`
is a real Spark Connect server (gRPC, its own server-side sessions) sharing the catalog, and so the tables copied
into it, with the local session. Starting a JVM is the slow part (tens of seconds on two cores); it happens once.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

from support.pgserver import free_port

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"

# Settings shared by the tests and the engine's own sessions: UTC, timestamps without zone by default, no ANSI mode.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}

QUIET_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


def connect_support() -> str | None:
    """Why this pyspark cannot serve Spark Connect, or None when it can (its jar and the client's packages)."""
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    if not list(jars.glob("spark-connect_*.jar")):
        return f"pyspark {pyspark.__version__} ships no Spark Connect server (no spark-connect jar in {jars})"
    missing = [m for m in ("grpc", "pyarrow", "pandas", "google.protobuf") if importlib.util.find_spec(m) is None]
    if missing:
        return f"the Spark Connect client needs {', '.join(missing)}: pip install 'cxgov[spark]'"
    return None


@dataclass(frozen=True)
class LocalSpark:
    """The running session, its scratch folder, and the Spark Connect URL (None when there is no Connect server)."""

    session: "SparkSession"
    root: Path
    connect_url: str | None
    no_connect_reason: str | None

    def connect(self) -> "SparkSession":
        """A new Spark Connect client session on the local server."""
        from pyspark.sql.connect.session import SparkSession as RemoteSparkSession

        # The classic builder refuses a remote session while a local one runs; the Connect builder does not.
        return RemoteSparkSession.builder.remote(self.connect_url).create()


def start_local_spark(root: Path, master: str = "local[2]") -> LocalSpark:
    """Start the local session (with Spark Connect when possible): warehouse, metastore and scratch in `root`."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("Spark needs Java and none was found: run `make install-test` (Debian's "
                           "default-jre-headless)")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    (root / "tmp").mkdir(parents=True, exist_ok=True)
    (root / "log4j2.properties").write_text(QUIET_LOG4J)
    # The C1 compiler alone: small test queries finish in about half the time (long ones would be slower: the
    # benchmarks start their own sessions). The serial collector: fewer threads on a two-core machine.
    java_options = (f"-Dderby.system.home={root / 'derby'} -Djava.io.tmpdir={root / 'tmp'} "
                    f"-Dlog4j2.configurationFile={root / 'log4j2.properties'} -XX:+UseSerialGC -XX:TieredStopAtLevel=1")
    builder = SparkSession.builder.master(master).appName("cxgov-tests")
    conf = {**SESSION_CONF,
            "spark.sql.warehouse.dir": str(root / "warehouse"),
            "spark.local.dir": str(root / "tmp"),
            "spark.driver.extraJavaOptions": java_options,
            "spark.driver.memory": "2g"}
    no_connect = connect_support()
    port = None
    if no_connect is None:
        port = free_port()
        conf |= {"spark.plugins": CONNECT_PLUGIN, "spark.connect.grpc.binding.address": "127.0.0.1",
                 "spark.connect.grpc.binding.port": str(port)}
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return LocalSpark(session=session, root=root, connect_url=f"sc://127.0.0.1:{port}" if port else None,
                      no_connect_reason=no_connect)


@pytest.fixture(scope="session")
def local_spark() -> Iterator[LocalSpark]:
    """One local Spark session (and Spark Connect server) for the whole test session."""
    root = Path(tempfile.mkdtemp(prefix="cxgov-spark-"))
    try:
        spark = start_local_spark(root)
        try:
            yield spark
        finally:
            spark.session.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def spark_session(local_spark: LocalSpark) -> "SparkSession":
    return local_spark.session


@pytest.fixture(scope="session")
def spark_connect_url(local_spark: LocalSpark) -> str:
    """`sc://127.0.0.1:PORT` of the local Spark Connect server."""
    if local_spark.connect_url is None:
        pytest.skip(local_spark.no_connect_reason or "no Spark Connect server")
    return local_spark.connect_url
