"""Multi-process training of a deep RNN: DDP, pipeline and hybrid workers, the runner, the cost model."""
