using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;
using Microsoft.Extensions.Logging;

namespace Gateway.Diffusion.Engine;

/// <summary>
/// The thread that owns the execution device: takes the next item, gathers the waiting ones that can share its UNet
/// calls, and runs them. One worker, since ONNX Runtime already spreads one run over all the device's cores.
/// </summary>
internal sealed class GenerationWorker
{
    private readonly GenerationQueue _queue;
    private readonly ModelRegistry _models;
    private readonly Admission _admission;
    private readonly Func<int> _maxBatchImages;
    private readonly TimeSpan _batchWindow;
    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly Lock _statisticsLock = new();
    private EngineStatistics _statistics = new(0, 0, TimeSpan.Zero, TimeSpan.Zero);

    private readonly LoraVariants _loraVariants;

    public GenerationWorker(GenerationQueue queue, ModelRegistry models, Admission admission, Func<int> maxBatchImages,
        TimeSpan batchWindow, LoraVariants loraVariants, ILogger logger)
    {
        (_queue, _models, _admission, _maxBatchImages, _batchWindow, _logger) = (queue, models, admission, maxBatchImages, batchWindow, logger);
        _loraVariants = loraVariants;
        _thread = new Thread(WorkLoop) { IsBackground = true, Name = "diffusion-worker" };
        _thread.Start();
    }

    /// <summary>Runs, images, and the time spent inside ONNX Runtime and running at all, since the worker started.</summary>
    public EngineStatistics Statistics
    {
        get { lock (_statisticsLock) return _statistics; }
    }

    /// <summary>Waits for the thread to finish once the queue is closed.</summary>
    public void Join() => _thread.Join();

    private void WorkLoop()
    {
        while (_queue.Take() is { } first)
        {
            if (_batchWindow > TimeSpan.Zero && first.Request.ImageCount < _maxBatchImages()) Thread.Sleep(_batchWindow);
            List<WorkItem> batch;
            lock (_queue.Lock)
            {
                batch = GatherBatch(first);
                _queue.BeginRun(batch);
                _admission.AnnouncePositions();
            }
            try
            {
                Execute(batch);
            }
            finally
            {
                _queue.EndRun();
                foreach (var item in batch) item.Dispose();
            }
        }
    }

    /// <summary>The first item and the waiting ones that can share its run: same batch key and priority, in dispatch
    /// order, up to the image limit. Joining never moves a request ahead of a higher-priority one.</summary>
    private List<WorkItem> GatherBatch(WorkItem first)
    {
        var batch = new List<WorkItem> { first };
        var images = first.Request.ImageCount;
        var limit = _maxBatchImages();
        if (images >= limit) return batch;
        foreach (var candidate in _queue.InDispatchOrder())
        {
            if (candidate.Options.Priority != first.Options.Priority || candidate.Resolved.Key != first.Resolved.Key ||
                images + candidate.Request.ImageCount > limit)
                continue;
            _queue.TakeIntoBatch(candidate);
            batch.Add(candidate);
            images += candidate.Request.ImageCount;
            if (images >= limit) break;
        }
        return batch;
    }

    private LoadedModel PrepareLoras(string modelId, LoraSet loras)
    {
        try
        {
            return _loraVariants.For(_models.Ready(loras.BaseModel), loras);
        }
        catch (ModelLoadException e)
        {
            throw new ModelNotReadyException(modelId, $"The LoRAs {loras.Key} cannot be applied to model '{loras.BaseModel}': {e.Message}");
        }
    }

    private void Execute(List<WorkItem> batch)
    {
        var members = new List<(WorkItem Item, BatchMember Member)>();
        foreach (var item in batch)
        {
            var member = new BatchMember(item.Request, item.Resolved, item.Options.Progress, item.Cancellation.Token, item.Options.Deadline,
                item.Feed);
            if (member.ShouldStop)
            {
                item.CompleteCancelled();
                continue;
            }
            item.Options.Started?.Invoke();
            item.Feed?.Started();
            members.Add((item, member));
        }
        if (members.Count == 0) return;

        var modelId = members[0].Item.Request.Model;
        try
        {
            var model = _models.Ready(modelId);
            if (members[0].Item.Resolved.Loras is { IsEmpty: false } loras)
                model = PrepareLoras(modelId, loras);
            var results = GenerationRun.Run(model, members.Select(m => m.Member).ToList());
            var units = members.Sum(m => _admission.Units(m.Item.Request));
            if (results.FirstOrDefault(r => r is not null) is { } any)
            {
                _admission.Observe(modelId, units, any.Timings.Total);
                lock (_statisticsLock)
                    _statistics = new EngineStatistics(_statistics.Runs + 1, _statistics.Images + results.Sum(r => r?.Images.Count ?? 0),
                        _statistics.InsideOnnx + any.Timings.InsideOnnx, _statistics.Busy + any.Timings.Total);
            }
            for (var i = 0; i < members.Count; i++)
            {
                if (results[i] is { } result && !members[i].Member.ShouldStop) members[i].Item.Completion.TrySetResult(result);
                else members[i].Item.CompleteCancelled();
            }
        }
        catch (OperationCanceledException) when (members.All(m => m.Member.ShouldStop))
        {
            foreach (var (item, _) in members) item.CompleteCancelled();
        }
        catch (Exception e)
        {
            if (e is not InvalidGenerationRequestException)
                _logger.LogError(e, "Generation on model {Model} failed", modelId);
            foreach (var (item, _) in members) item.Completion.TrySetException(e);
        }
    }
}
