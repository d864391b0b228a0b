using Gateway.Diffusion.Noise;

namespace Gateway.Diffusion.Schedulers;

/// <summary>
/// diffusers' <c>PNDMScheduler</c> (Liu et al. 2022): pseudo linear multistep (PLMS) over ε, started either by
/// Runge–Kutta steps (PRK) or, with <c>skip_prk_steps</c> as Stable Diffusion ships, by one repeated timestep
/// whose second evaluation averages the first two ε (a Heun-like start).
/// Like diffusers, the multistep state advances with each call of <see cref="Step"/>, not with the index: an
/// image-to-image run that starts part-way treats its first step as the very first one.
/// </summary>
public sealed class PndmScheduler : AlphaProductScheduler
{
    /// <summary>diffusers' <c>pndm_order</c>: the Runge–Kutta start covers the four highest timesteps.</summary>
    private const int PndmOrder = 4;

    private readonly int _stepRatio;
    private readonly int _prkCount;
    private readonly float[]?[] _ets = new float[PndmOrder][];
    private int _etsCount;
    private int _etsNewest = -1;
    private int _counter;
    private float[]? _curSample;
    private float[]? _curModelOutput;
    private float[]? _combined;

    /// <summary>Builds the schedule for <paramref name="inferenceSteps"/> steps.</summary>
    /// <exception cref="NotSupportedException">The config's prediction_type is <c>sample</c>, which diffusers' PNDM rejects.</exception>
    public PndmScheduler(SchedulerConfig config, int inferenceSteps)
        // PNDMScheduler has no rescale_betas_zero_snr option, so from_config drops it.
        : base(BuildTimesteps(config, inferenceSteps, out var prkCount), config, inferenceSteps, acceptsZeroSnrRescale: false,
            setAlphaToOneByDefault: false, BetaDefaults.Ddpm)
    {
        if (config.PredictionType == PredictionType.Sample)
            throw new NotSupportedException("PndmScheduler supports prediction_type 'epsilon' and 'v_prediction' only, as diffusers.");
        _stepRatio = config.NumTrainTimesteps / inferenceSteps;
        _prkCount = prkCount;
    }

    /// <inheritdoc />
    public override void Step(ReadOnlySpan<float> modelOutput, int index, Span<float> sample, INoiseSource noise)
    {
        CheckStep(modelOutput, index, sample, noise);
        if (_counter < _prkCount)
            StepPrk(modelOutput, TimestepAt(index), sample);
        else
            StepPlms(modelOutput, TimestepAt(index), sample);
        _counter++;
    }

    /// <summary>diffusers' <c>step_prk</c>: four evaluations per Runge–Kutta step, weights 1/6, 1/3, 1/3, 1/6.</summary>
    private void StepPrk(ReadOnlySpan<float> modelOutput, int timestep, Span<float> sample)
    {
        var halfRatio = _stepRatio / 2;
        var previousTimestep = timestep - (_counter % 2 == 1 ? 0 : halfRatio);
        var stageTimestep = TimestepAt(_counter / 4 * 4);
        var accumulated = SchedulerMath.Buffer(ref _curModelOutput, sample.Length);
        var output = modelOutput;
        switch (_counter % 4)
        {
            case 0:
                // cur_model_output starts at 0, so 0 + x/6 = x/6.
                for (var i = 0; i < sample.Length; i++)
                    accumulated[i] = 1f / 6 * modelOutput[i];
                PushEt(modelOutput);
                sample.CopyTo(SchedulerMath.Buffer(ref _curSample, sample.Length));
                break;
            case 1:
            case 2:
                for (var i = 0; i < sample.Length; i++)
                    accumulated[i] += 1f / 3 * modelOutput[i];
                break;
            default:
                var combined = SchedulerMath.Buffer(ref _combined, sample.Length);
                for (var i = 0; i < sample.Length; i++)
                    combined[i] = accumulated[i] + 1f / 6 * modelOutput[i];
                output = combined;
                break;
        }
        // Every stage restarts from the sample the Runge–Kutta step began at.
        PreviousSample(_curSample, stageTimestep, previousTimestep, output, sample);
    }

    /// <summary>diffusers' <c>step_plms</c>: Adams–Bashforth weights over the last ε, of growing order.</summary>
    private void StepPlms(ReadOnlySpan<float> modelOutput, int timestep, Span<float> sample)
    {
        var previousTimestep = timestep - _stepRatio;
        if (_counter != 1)
        {
            PushEt(modelOutput);
        }
        else
        {
            // The repeated timestep: redo the first step from its start, now with the averaged ε.
            previousTimestep = timestep;
            timestep += _stepRatio;
        }

        var combined = SchedulerMath.Buffer(ref _combined, sample.Length);
        var e1 = Et(1);
        ReadOnlySpan<float> source = sample;
        ReadOnlySpan<float> epsilon = combined;
        if (_etsCount == 1 && _counter == 0)
        {
            epsilon = modelOutput;
            sample.CopyTo(SchedulerMath.Buffer(ref _curSample, sample.Length));
        }
        else if (_etsCount == 1 && _counter == 1)
        {
            for (var i = 0; i < combined.Length; i++)
                combined[i] = (modelOutput[i] + e1[i]) / 2;
            source = _curSample;
        }
        else if (_etsCount == 2)
        {
            var e2 = Et(2);
            for (var i = 0; i < combined.Length; i++)
                combined[i] = (3 * e1[i] - e2[i]) / 2;
        }
        else if (_etsCount == 3)
        {
            var e2 = Et(2);
            var e3 = Et(3);
            for (var i = 0; i < combined.Length; i++)
                combined[i] = (23 * e1[i] - 16 * e2[i] + 5 * e3[i]) / 12;
        }
        else
        {
            var e2 = Et(2);
            var e3 = Et(3);
            var e4 = Et(4);
            for (var i = 0; i < combined.Length; i++)
                combined[i] = 1f / 24 * (55 * e1[i] - 59 * e2[i] + 37 * e3[i] - 9 * e4[i]);
        }
        PreviousSample(source, timestep, previousTimestep, epsilon, sample);
    }

    /// <summary>
    /// diffusers' <c>_get_prev_sample</c> (formula 9 of the PNDM paper):
    /// x_prev = √(ᾱ_prev/ᾱ)·x − (ᾱ_prev − ᾱ)·ε / (ᾱ·√(1 − ᾱ_prev) + √(ᾱ·(1 − ᾱ)·ᾱ_prev)).
    /// <paramref name="source"/> and <paramref name="destination"/> may be the same memory.
    /// </summary>
    private void PreviousSample(ReadOnlySpan<float> source, int timestep, int previousTimestep, ReadOnlySpan<float> epsilon, Span<float> destination)
    {
        var alphaProd = AlphasCumprod[timestep];
        var alphaProdPrev = AlphaProductAt(previousTimestep);
        var betaProd = 1f - alphaProd;
        var betaProdPrev = 1f - alphaProdPrev;
        var sampleCoefficient = MathF.Sqrt(alphaProdPrev / alphaProd);
        var denominator = alphaProd * MathF.Sqrt(betaProdPrev) + MathF.Sqrt(alphaProd * betaProd * alphaProdPrev);
        var difference = alphaProdPrev - alphaProd;
        var vPrediction = Config.PredictionType == PredictionType.VPrediction;
        var sqrtAlpha = MathF.Sqrt(alphaProd);
        var sqrtBeta = MathF.Sqrt(betaProd);
        for (var i = 0; i < destination.Length; i++)
        {
            var x = source[i];
            // v-prediction is turned into ε first: ε = √ᾱ·v + √(1 − ᾱ)·x.
            var e = vPrediction ? sqrtAlpha * epsilon[i] + sqrtBeta * x : epsilon[i];
            destination[i] = sampleCoefficient * x - difference * e / denominator;
        }
    }

    /// <summary>diffusers keeps the last four ε: <c>ets = ets[-3:] + [model_output]</c>.</summary>
    private void PushEt(ReadOnlySpan<float> modelOutput)
    {
        _etsNewest = (_etsNewest + 1) % PndmOrder;
        modelOutput.CopyTo(SchedulerMath.Buffer(ref _ets[_etsNewest], modelOutput.Length));
        _etsCount = Math.Min(_etsCount + 1, PndmOrder);
    }

    /// <summary>ε number <paramref name="back"/> counting from the newest (1 = <c>ets[-1]</c>).</summary>
    private float[] Et(int back) => _ets[(_etsNewest - back + 1 + PndmOrder) % PndmOrder]!;

    /// <summary>diffusers' <c>set_timesteps</c>: the PRK timesteps (if any) followed by the PLMS ones.</summary>
    private static float[] BuildTimesteps(SchedulerConfig config, int inferenceSteps, out int prkCount)
    {
        SchedulerMath.CheckSteps(config, inferenceSteps);
        var descending = SchedulerMath.DescendingTimesteps(
            config.TimestepSpacing ?? TimestepSpacing.Leading, config.NumTrainTimesteps, inferenceSteps, config.StepsOffset, roundLinspace: true);
        var n = descending.Length;
        if (config.SkipPrkSteps)
        {
            // _timesteps[:-1] + _timesteps[-2:-1] + _timesteps[-1:], reversed: the second-highest timestep is repeated.
            prkCount = 0;
            var plms = new double[n + 1];
            plms[0] = descending[0];
            Array.Copy(descending, 0, plms, 1, n);
            if (n == 1)
                return SchedulerMath.ToFloats(descending);
            plms[1] = descending[1];
            return SchedulerMath.ToFloats(plms);
        }

        if (n < PndmOrder)
            throw new ArgumentOutOfRangeException(nameof(inferenceSteps), inferenceSteps,
                $"PNDM with Runge–Kutta steps (skip_prk_steps false) needs at least {PndmOrder} inference steps.");
        // For the four highest timesteps d > c > b > a and h = T // n // 2, diffusers' array arithmetic gives
        // d, c+h, c+h, c, c, b+h, b+h, b, b, a+h, a+h, a; the PLMS part continues from a downwards.
        var half = config.NumTrainTimesteps / inferenceSteps / 2;
        var timesteps = new List<double>(3 * PndmOrder + n - 3);
        var highest = descending.AsSpan(0, PndmOrder);
        timesteps.Add(highest[0]);
        for (var k = 1; k < PndmOrder; k++)
        {
            timesteps.Add(highest[k] + half);
            timesteps.Add(highest[k] + half);
            timesteps.Add(highest[k]);
            if (k < PndmOrder - 1)
                timesteps.Add(highest[k]);
        }
        prkCount = timesteps.Count;
        timesteps.AddRange(descending.AsSpan(3));
        return SchedulerMath.ToFloats([.. timesteps]);
    }
}
