using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Pipelines.Conditioning;

/// <summary>
/// A model's text conditioning: its encoder stages (SD 1.x: one; SDXL: CLIP-L then OpenCLIP bigG; the refiner: bigG;
/// Flux: CLIP-L for the pooled embedding only, then T5), the hidden states of those that give them concatenated on the
/// hidden axis, and the pooled embedding of the stage that pools.
/// </summary>
internal sealed class TextConditioner : IDisposable
{
    private readonly TextEncoderStage[] _stages;
    private TextConditioning? _zeros;

    /// <param name="forceZerosForEmptyNegative">model_index.json's <c>force_zeros_for_empty_prompt</c>: a request
    /// without a negative prompt is guided away from zeros, not from the encoding of "".</param>
    public TextConditioner(IReadOnlyList<TextEncoderStage> stages, bool forceZerosForEmptyNegative, string modelName)
    {
        if (stages.Count == 0) throw new ArgumentException("A model needs at least one text encoder.", nameof(stages));
        _stages = [.. stages];
        var hiddenStages = _stages.Where(s => s.GivesHidden).ToArray();
        if (hiddenStages.Length == 0) throw new ArgumentException("At least one encoder must give hidden states.", nameof(stages));
        SequenceLength = hiddenStages[0].Tokenizer.ModelMaxLength;
        if (hiddenStages.FirstOrDefault(s => s.Tokenizer.ModelMaxLength != SequenceLength) is { } odd)
            throw new ModelLoadException(
                $"{modelName}: the tokenizers disagree on model_max_length ({SequenceLength} and {odd.Tokenizer.ModelMaxLength}); " +
                "their hidden states are concatenated token by token, so they must be equal.");
        if (_stages.Count(s => s.Encoder.Pools) > 1)
            throw new ArgumentException("At most one encoder may give the pooled embedding.", nameof(stages));
        ForceZerosForEmptyNegative = forceZerosForEmptyNegative;
        HiddenSize = hiddenStages.All(s => s.Encoder.HiddenSize is not null) ? hiddenStages.Sum(s => s.Encoder.HiddenSize!.Value) : null;
        PooledSize = _stages.Select(s => s.Encoder.PooledSize).FirstOrDefault(p => p is not null);
    }

    public IReadOnlyList<TextEncoderStage> Stages => _stages;

    /// <summary>Tokens per prompt of the hidden states (77 for CLIP, 256 or 512 for Flux's T5).</summary>
    public int SequenceLength { get; }

    /// <summary>The concatenated hidden size, when every export declares its own.</summary>
    public int? HiddenSize { get; }

    /// <summary>The pooled embedding's size, when the pooling export declares it.</summary>
    public int? PooledSize { get; }

    public bool Pools => _stages.Any(s => s.Encoder.Pools);

    public bool ForceZerosForEmptyNegative { get; }

    /// <summary>Starts the conditioning of one batch: prompts are registered, then encoded together.</summary>
    public ConditioningBatch Begin(RunOptions runOptions, OnnxClock clock) => new(this, runOptions, clock);

    /// <summary>The all-zero conditioning of an empty negative prompt under <see cref="ForceZerosForEmptyNegative"/>.</summary>
    internal TextConditioning Zeros(int hiddenSize, int? pooledSize) =>
        _zeros is { } z && z.Hidden.Length == SequenceLength * hiddenSize && z.Pooled?.Length == pooledSize
            ? z
            : _zeros = new TextConditioning(new float[SequenceLength * hiddenSize], pooledSize is { } p ? new float[p] : null);

    public void Dispose()
    {
        foreach (var stage in _stages) stage.Dispose();
    }
}
