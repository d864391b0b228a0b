using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines.Denoising;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Control;

/// <summary>
/// One ControlNet bound to one UNet batch shape. The inputs it shares with the UNet (latents, timestep, text
/// conditioning) are the UNet stepper's own tensors where element type and shape agree, so each step copies nothing;
/// its outputs are the UNet's residual input tensors, allocated on the first run (when their shapes are known) and
/// kept by the UNet stepper for every later run of that shape. When both sessions bind in the same device memory,
/// the tensors they share are the device ones; the control map goes to the device once.
/// </summary>
internal sealed class ControlNetStepper : IDisposable
{
    private readonly ControlNetModel _net;
    private readonly DenoiserStepper _unet;
    private readonly OrtIoBinding _binding;
    private readonly BoundTensor _cond;
    private readonly BoundTensor _scale;
    private readonly List<(BoundTensor Own, OnnxTensor Source, bool Timestep)> _copies = [];
    private readonly int _batch;
    private readonly bool _sharesMemory;
    private bool _outputsBound;

    public ControlNetStepper(ControlNetModel net, DenoiserStepper unet)
    {
        _net = net;
        _unet = unet;
        _sharesMemory = ReferenceEquals(net.Memory, unet.Memory);
        var memory = net.Memory;
        var sample = unet.Input(UNetInputs.Sample);
        _batch = checked((int)sample.Shape[0]);
        var (height, width) = (sample.Shape[2] * 8, sample.Shape[3] * 8);
        _binding = net.Session.CreateIoBinding();
        foreach (var signature in net.SharedInputs)
        {
            var source = unet.Input(signature.Name);
            if (signature.ElementType == source.ElementType && signature.Rank == source.Shape.Length)
            {
                _binding.BindInput(signature.Name, _sharesMemory ? unet.InputValue(signature.Name) : source.Value);
                continue;
            }
            // Exporters differ in the timestep (int64 scalar, float [batch]) and precision; such an input gets its own copy.
            var timestep = signature.Name == UNetInputs.Timestep;
            long[] dims = timestep ? signature.Rank == 0 ? [] : [signature.FixedDimension(0) ?? _batch] : source.Shape;
            var own = new BoundTensor(OnnxTensor.Allocate(signature.ElementType, dims), memory);
            _copies.Add((own, source, timestep));
            _binding.BindInput(signature.Name, own.Value);
        }
        _cond = new BoundTensor(OnnxTensor.Allocate(net.CondInput.ElementType, _batch, 3, height, width), memory);
        _binding.BindInput(ControlNetModel.ControlNetCond, _cond.Value);
        _scale = new BoundTensor(OnnxTensor.Allocate(net.ScaleInput.ElementType, net.ScaleInput.Rank == 0 ? [] : [1]), memory);
        _binding.BindInput(ControlNetModel.ConditioningScale, _scale.Value);
    }

    /// <summary>Writes the control map (planar [3, height, width] in [0, 1]) into every batch row, and the scale.</summary>
    public void SetControl(ReadOnlySpan<float> map, double scale)
    {
        for (var row = 0; row < _batch; row++) _cond.Host.Write(map, row * map.Length);
        _cond.Written();
        _scale.Host.Fill(scale);
        _scale.Written();
    }

    /// <summary>Runs the ControlNet on the UNet's current inputs, writing the UNet's residual inputs.</summary>
    public void Run(float timestep, RunOptions runOptions, OnnxClock clock)
    {
        // Shared inputs are read where the UNet reads them, which may be device memory.
        if (_sharesMemory) _unet.Upload();
        foreach (var (own, source, isTimestep) in _copies)
        {
            if (isTimestep) own.Host.Fill(timestep);
            else own.Host.Write(source.AsFloats());
            own.Written();
        }
        var copied = _cond.Upload() | _scale.Upload();
        foreach (var (own, _, _) in _copies) copied |= own.Upload();
        if (copied) _net.Memory?.CompleteCopies();
        if (!_outputsBound)
        {
            BindOutputsOnFirstRun(runOptions, clock);
            return;
        }
        clock.Run((this, runOptions), static s =>
        {
            s.Item1._net.Session.RunWithBinding(s.runOptions, s.Item1._binding);
            return 0;
        });
        foreach (var residual in _net.Residuals) _unet.InputWrittenBy(residual.Name, inPlace: _sharesMemory);
    }

    /// <summary>Zero residuals: the UNet then computes what it computes without a ControlNet (outside
    /// control_guidance_start / _end). The residual tensors must exist, so a first call runs the ControlNet once.</summary>
    public void Silence(float timestep, RunOptions runOptions, OnnxClock clock)
    {
        if (!_outputsBound) Run(timestep, runOptions, clock);
        foreach (var residual in _net.Residuals) _unet.FillInput(residual.Name, 0);
    }

    /// <summary>The residuals' shapes follow the UNet's block structure, which the metadata leaves symbolic: the first run
    /// lets ONNX Runtime allocate them on the host, then they are copied into tensors that the UNet and every later run share.</summary>
    private void BindOutputsOnFirstRun(RunOptions runOptions, OnnxClock clock)
    {
        foreach (var residual in _net.Residuals) _binding.BindOutputToDevice(residual.Name, OrtMemoryInfo.DefaultInstance);
        clock.Run((this, runOptions), static s =>
        {
            s.Item1._net.Session.RunWithBinding(s.runOptions, s.Item1._binding);
            return 0;
        });
        using var values = _binding.GetOutputValues();
        _binding.ClearBoundOutputs();
        for (var i = 0; i < _net.Residuals.Count; i++)
        {
            var name = _net.Residuals[i].Name;
            var shape = values[i].GetTensorTypeAndShape().Shape;
            if (_unet.Has(name))
            {
                var existing = _unet.Input(name);
                if (!existing.Shape.SequenceEqual(shape))
                    throw new InvalidOperationException(
                        $"{_net.DisplayName}: output '{name}' is [{string.Join(", ", shape)}], but the UNet's is [{string.Join(", ", existing.Shape)}].");
            }
            else
            {
                _unet.BindExtraInput(name, OnnxTensor.Allocate(_net.Residuals[i].ElementType, shape));
            }
            var floats = new float[_unet.Input(name).Length];
            OnnxTensor.ReadFloats(values[i], floats);
            _unet.WriteInput(name, floats);
            _binding.BindOutput(name, _sharesMemory ? _unet.InputValue(name) : _unet.Input(name).Value);
        }
        _outputsBound = true;
    }

    public void Dispose()
    {
        _binding.Dispose();
        _cond.Dispose();
        _scale.Dispose();
        foreach (var (own, _, _) in _copies) own.Dispose();
    }
}
