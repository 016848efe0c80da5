"""Apache Spark as a warehouse: the local session and its settings, the raw-table writer, the marts reader."""
