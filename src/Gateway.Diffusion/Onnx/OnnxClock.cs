using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Onnx;

/// <summary>
/// Wraps every session run of one batch: sums the time spent inside ONNX Runtime (and nothing else, so benchmarks
/// can compare the wall clock with it honestly) and turns a run terminated for cancellation into
/// <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class OnnxClock(CancellationToken cancellationToken)
{
    private long _ticks;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, _ticks);

    /// <summary>Times <paramref name="run"/>; pass a static lambda and its state so the step loop allocates nothing.</summary>
    public TResult Run<TState, TResult>(TState state, Func<TState, TResult> run)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return run(state);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            _ticks += Stopwatch.GetTimestamp() - started;
        }
    }
}
