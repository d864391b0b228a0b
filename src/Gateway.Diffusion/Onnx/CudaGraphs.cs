namespace Gateway.Diffusion.Onnx;

/// <summary>
/// The CUDA graph ids of one session that captures graphs (<c>enable_cuda_graph</c>). Each batch shape needs a graph of
/// its own, and ONNX Runtime keeps a captured graph for the session's lifetime, so ids are never reused (a replay must
/// not find the freed tensors of an evicted shape) and a session captures at most <see cref="Limit"/>; later shapes run
/// with <see cref="Skip"/>, since a run that names no graph would replay graph 0 whatever its shape.
/// </summary>
internal sealed class CudaGraphs(int limit = CudaGraphs.DefaultLimit)
{
    /// <summary>The run option that names the graph a run captures or replays; -1 runs without one.</summary>
    public const string RunConfigKey = "gpu_graph_id";

    public const int DefaultLimit = 8;

    /// <summary>The id that runs without capturing or replaying a graph.</summary>
    public const int Skip = -1;

    private int _issued;

    public int Limit { get; } = limit;

    /// <summary>A fresh graph id for a new batch shape, or <see cref="Skip"/> once <see cref="Limit"/> were issued.</summary>
    public int Next()
    {
        if (_issued >= Limit) return Skip;
        // 0 is the id of runs that name none; shapes get their own, from 1.
        return ++_issued;
    }
}
