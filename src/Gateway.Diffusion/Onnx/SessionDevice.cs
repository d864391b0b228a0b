namespace Gateway.Diffusion.Onnx;

/// <summary>Where a session's long-lived bound tensors live, and whether it replays CUDA graphs.</summary>
/// <param name="Memory">The device memory to bind them in, or null: the session reads host tensors (the CPU, or a CUDA
/// session that lets ONNX Runtime copy inputs and outputs on every run).</param>
/// <param name="Graphs">The session was created with <c>enable_cuda_graph</c>: its runs capture and replay CUDA graphs,
/// one per <c>gpu_graph_id</c>.</param>
internal sealed record SessionDevice(IDeviceMemory? Memory, CudaGraphs? Graphs = null)
{
    public static SessionDevice Host { get; } = new((IDeviceMemory?)null);
}
