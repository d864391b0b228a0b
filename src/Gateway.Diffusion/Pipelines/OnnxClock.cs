using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines;

/// <summary>Sums the time spent inside ONNX Runtime and turns a terminated run into a cancellation.</summary>
internal sealed class OnnxClock
{
    private long _ticks;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, _ticks);

    public T Time<T>(Func<T> run, CancellationToken cancellationToken) =>
        Measure(run, static run => run(), cancellationToken);

    /// <summary>The allocation-free form for the step loop: <paramref name="run"/> is static and gets its state.</summary>
    public void Time<TState>(TState state, Action<TState> run, CancellationToken cancellationToken) =>
        Measure((state, run), static pair => { pair.run(pair.state); return 0; }, cancellationToken);

    private T Measure<TState, T>(TState state, Func<TState, T> run, CancellationToken cancellationToken)
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
