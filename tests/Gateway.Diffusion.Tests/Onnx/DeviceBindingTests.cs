using Gateway.Diffusion.Control;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Onnx;
using Gateway.Diffusion.Pipelines;
using Gateway.Diffusion.Pipelines.Denoising;
using Gateway.Diffusion.Tests.Control;
using Gateway.Diffusion.Tests.Pipelines;
using Gateway.Diffusion.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace Gateway.Diffusion.Tests.Onnx;

/// <summary>Two engines on the same tiny models: one binds the step models' host tensors (the CPU path), the other binds
/// them in <see cref="SeparateDeviceMemory"/>, buffers of their own, as the CUDA path binds device memory.</summary>
public sealed class DeviceBindingFixture : IDisposable
{
    private static readonly string[] Models =
        ["tiny-sd", "tiny-sd-fp16", "tiny-sd-inpaint", "tiny-sdxl", "tiny-sdxl-refiner", "tiny-flux-schnell", "tiny-flux-dev"];

    public DeviceBindingFixture()
    {
        var options = new EngineOptions { ModelsDirectory = TestModels.Directory, MaxBatchImages = 8 };
        Host = DiffusionEngine.Create(options);
        Device = DiffusionEngine.Create(options, Memory);
        foreach (var engine in new[] { Host, Device })
        {
            foreach (var id in Models) engine.Load(id);
            engine.LoadControlNets();
        }
    }

    internal SeparateDeviceMemory Memory { get; } = new();
    public DiffusionEngine Host { get; }
    public DiffusionEngine Device { get; }

    public void Dispose()
    {
        Host.Dispose();
        Device.Dispose();
    }
}

public sealed class DeviceBindingTests(DeviceBindingFixture fixture) : IClassFixture<DeviceBindingFixture>
{
    public static TheoryData<string> Requests => [.. Cases.Keys];

    private static readonly Dictionary<string, GenerationRequest> Cases = new()
    {
        ["sd15, guidance, two images"] = Request("tiny-sd") with { ImageCount = 2 },
        ["sd15 without guidance"] = Request("tiny-sd") with { Guidance = 1 },
        ["sd15 fp16, DPM++ 2M"] = Request("tiny-sd-fp16") with { Sampler = "DPM++ 2M" },
        ["sd15 image to image"] = Request("tiny-sd") with { InitImage = new InitImage(InpaintingTests.Gradient(64, 64), 0.6) },
        ["sd15-inpaint, 9-channel UNet"] = Request("tiny-sd") with
        {
            InitImage = new InitImage(InpaintingTests.Gradient(64, 64), 1.0) { Mask = InpaintingTests.LeftHalfRepainted(64, 64) },
        },
        ["sdxl base and refiner"] = Request("tiny-sdxl") with { UseRefiner = true },
        ["flux schnell"] = Request("tiny-flux-schnell") with { NegativePrompt = "", Steps = 2, Guidance = null },
        ["flux dev, embedded guidance"] = Request("tiny-flux-dev") with { NegativePrompt = "", Steps = 2, Guidance = 3.5 },
        ["sd15 canny ControlNet"] = Request("tiny-sd") with { ControlNet = Canny("tiny-sd-canny") },
        ["sd15 ControlNet for half the steps"] = Request("tiny-sd") with { ControlNet = Canny("tiny-sd-canny") with { GuidanceEnd = 0.5 } },
        ["sdxl canny ControlNet"] = Request("tiny-sdxl") with { ControlNet = Canny("tiny-sdxl-canny") },
    };

    private static GenerationRequest Request(string model) => new()
    {
        Model = model, Prompt = "a lighthouse at dusk", NegativePrompt = "blurry", Width = 64, Height = 64, Steps = 4, Seed = 11, Guidance = 7.5,
    };

    private static ControlNetRequest Canny(string name) => new() { Name = name, Image = ControlNetEngineTests.Shapes(64, 64) };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Device_bound_steps_give_the_same_bytes_as_host_bound_steps(string name)
    {
        var request = Cases[name];
        var host = await fixture.Host.GenerateAsync(request);
        var (uploads, downloads) = (fixture.Memory.TotalUploads, fixture.Memory.Downloads);
        var device = await fixture.Device.GenerateAsync(request);

        Assert.Equal(request.ImageCount, device.Images.Count);
        for (var i = 0; i < host.Images.Count; i++) Assert.Equal(host.Images[i].Image.Rgba, device.Images[i].Image.Rgba);
        // At least the sample went to the device and the prediction came back each step that ran (image to image
        // runs the last int(steps · strength) of the schedule, as diffusers does).
        var steps = request.InitImage is { Mask: null } init ? (int)(request.Steps!.Value * init.Strength) : request.Steps!.Value;
        Assert.True(fixture.Memory.TotalUploads - uploads >= steps);
        Assert.True(fixture.Memory.Downloads - downloads >= steps);
    }
}

/// <summary>What crosses between host and device per step, on one UNet stepper.</summary>
public sealed unsafe class DeviceStepperTests
{
    private const int Hidden = 16; // tiny-sd's text_encoder hidden_size

    [Fact]
    public void Conditioning_goes_to_the_device_once_and_each_step_sends_the_sample_and_timestep_and_brings_the_prediction_back()
    {
        var memory = new SeparateDeviceMemory();
        using var model = Load(new OnnxSessionFactory(new OnnxOptions(), null, memory));
        var stepper = model.UNet.Stepper(2, 8, 8, 77, Hidden);
        Assert.Same(memory, stepper.Memory);
        var conditioning = Conditioning(stepper);
        var sampleAddress = DeviceAddress(stepper, UNetInputs.Sample);
        Assert.NotEqual(HostAddress(stepper, UNetInputs.Sample), sampleAddress);

        const int steps = 5;
        for (var step = 0; step < steps; step++) WriteStep(stepper, step);
        var (downloads, syncs) = (memory.Downloads, memory.Syncs);

        Assert.Equal(1, memory.UploadsTo(DeviceAddress(stepper, UNetInputs.EncoderHiddenStates)));
        Assert.Equal(steps, memory.UploadsTo(sampleAddress));
        Assert.Equal(steps, memory.UploadsTo(DeviceAddress(stepper, UNetInputs.Timestep)));
        Assert.Equal(steps, downloads);
        Assert.Equal(steps, syncs);
        Assert.Equal(steps * 2 + 1, stepper.Uploads);

        // Writing the conditioning again (the next run) sends it again, once.
        stepper.WriteRow(UNetInputs.EncoderHiddenStates, conditioning, 0);
        WriteStep(stepper, steps);
        Assert.Equal(2, memory.UploadsTo(DeviceAddress(stepper, UNetInputs.EncoderHiddenStates)));
    }

    [Fact]
    public void A_device_bound_stepper_predicts_what_a_host_bound_one_predicts_and_frees_its_device_tensors()
    {
        var memory = new SeparateDeviceMemory();
        float[] onDevice, onHost;
        using (var model = Load(new OnnxSessionFactory(new OnnxOptions(), null, memory)))
            onDevice = Predictions(model.UNet.Stepper(2, 8, 8, 77, Hidden));
        using (var model = Load(new OnnxSessionFactory(new OnnxOptions())))
        {
            var stepper = model.UNet.Stepper(2, 8, 8, 77, Hidden);
            Assert.Null(stepper.Memory);
            Assert.Same(stepper.Input(UNetInputs.Sample).Value, stepper.InputValue(UNetInputs.Sample));
            onHost = Predictions(stepper);
        }

        Assert.Equal(onHost, onDevice);
        Assert.True(memory.Allocated > 0);
        Assert.Equal(memory.Allocated, memory.Freed);
    }

    [Fact]
    public void Cuda_graph_ids_are_fresh_per_shape_up_to_the_limit_then_runs_skip_graphs()
    {
        var graphs = new CudaGraphs(limit: 3);
        Assert.Equal([1, 2, 3, CudaGraphs.Skip, CudaGraphs.Skip], Enumerable.Range(0, 5).Select(_ => graphs.Next()));
        Assert.Equal(-1, CudaGraphs.Skip);
        Assert.Equal("gpu_graph_id", CudaGraphs.RunConfigKey);
    }

    [Fact]
    public void Cuda_graphs_asked_for_on_a_machine_without_cuda_leave_every_session_on_the_host()
    {
        var sessions = new OnnxSessionFactory(new OnnxOptions
        {
            ExecutionProvider = "cuda",
            CudaProviderOptions = new Dictionary<string, string> { ["enable_cuda_graph"] = "1" },
            DeviceIoBinding = true,
        });
        Assert.True(sessions.CudaGraphsRequested);
        using var model = Load(sessions);
        var stepper = model.UNet.Stepper(2, 8, 8, 77, Hidden);

        Assert.Equal("cpu", sessions.ActiveProvider);
        Assert.Null(stepper.Memory);
        Assert.Null(stepper.CudaGraphId);
        Assert.Equal(3 * 2 * 4 * 8 * 8, Predictions(stepper).Length);
    }

    private static LoadedModel Load(OnnxSessionFactory sessions)
    {
        Assert.True(ModelCatalog.Load(TestModels.Directory).TryGet("tiny-sd", out var entry));
        return ModelLoader.Load(entry, sessions);
    }

    private static float[] Conditioning(DenoiserStepper stepper)
    {
        var hidden = Enumerable.Range(0, 77 * Hidden).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        for (var row = 0; row < 2; row++) stepper.WriteRow(UNetInputs.EncoderHiddenStates, hidden, row);
        return hidden;
    }

    private static void WriteStep(DenoiserStepper stepper, int step)
    {
        var latents = Enumerable.Range(0, stepper.RowLength).Select(i => MathF.Cos(i * 0.11f + step)).ToArray();
        for (var row = 0; row < 2; row++) stepper.WriteSample(latents, row);
        stepper.SetTimestep(900 - 200 * step);
        using var runOptions = new RunOptions();
        stepper.Run(runOptions, new OnnxClock(CancellationToken.None));
    }

    /// <summary>Three steps' predictions of both rows, concatenated.</summary>
    private static float[] Predictions(DenoiserStepper stepper)
    {
        Conditioning(stepper);
        var all = new List<float>();
        var row = new float[stepper.RowLength];
        for (var step = 0; step < 3; step++)
        {
            WriteStep(stepper, step);
            for (var r = 0; r < 2; r++)
            {
                stepper.ReadPrediction(row, r);
                all.AddRange(row);
            }
        }
        return [.. all];
    }

    private static IntPtr DeviceAddress(DenoiserStepper stepper, string name) => Address(stepper.InputValue(name));

    private static IntPtr HostAddress(DenoiserStepper stepper, string name) => Address(stepper.Input(name).Value);

    private static IntPtr Address(OrtValue value)
    {
        fixed (byte* data = value.GetTensorMutableRawData()) return (IntPtr)data;
    }
}
