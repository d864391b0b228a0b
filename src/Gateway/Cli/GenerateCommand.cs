using System.Diagnostics;
using Gateway.Apis.Shared;
using Gateway.Diffusion.Control;
using Gateway.Diffusion.Engine;
using Gateway.Diffusion.Imaging;
using Gateway.Diffusion.Models;
using Gateway.Diffusion.Pipelines;
using Gateway.Hosting;

namespace Gateway.Cli;

/// <summary><c>generate</c>: writes one image from the command line, with progress on the terminal.</summary>
public static class GenerateCommand
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, GatewayOptions gateway, ILoggerFactory loggerFactory,
        TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        GenerateOptions options;
        try
        {
            options = GenerateOptions.Parse(args);
        }
        catch (CliUsageException e)
        {
            if (e.Message.Length > 0) stderr.WriteLine($"error: {e.Message}");
            stderr.WriteLine(GenerateOptions.Usage);
            return e.Message.Length > 0 ? ExitUsage : ExitOk;
        }

        try
        {
            using var engine = EngineFactory.Create(gateway, loggerFactory);
            if (!engine.Catalog.TryGet(options.Model, out var entry))
                return Fail(stderr, ExitUsage, $"unknown model '{options.Model}'. Available models: {string.Join(", ", engine.Catalog.Models.Select(m => m.Id))}.");
            engine.Load(entry.Id);
            // Only the models a run needs load: the refiner too when it is asked for (the engine names a missing one).
            if (options.Refiner && entry.Refiner is { } refiner) engine.Load(refiner);
            if (options.ControlNet is not null) engine.LoadControlNets();

            var size = options.Size ?? entry.NativeSize;
            InitImage? init = null;
            if (options.ImagePath is { } imagePath)
            {
                var image = ImageCodec.Decode(await File.ReadAllBytesAsync(Path.GetFullPath(imagePath), cancellationToken), new ImageDecodeLimits());
                init = new InitImage(image, options.Strength);
                if (options.Size is null) size = new ImageSize(image.Width / 8 * 8, image.Height / 8 * 8);
            }
            ControlNetRequest? control = null;
            if (options.ControlNet is { } controlNet)
            {
                var map = ImageCodec.Decode(await File.ReadAllBytesAsync(Path.GetFullPath(options.ControlImagePath!), cancellationToken), new ImageDecodeLimits());
                control = new ControlNetRequest { Name = controlNet, Image = map, Scale = options.ControlScale, Preprocess = !options.ControlRaw };
            }
            var seed = options.Seed ?? Seeds.Random();
            var request = new GenerationRequest
            {
                Model = entry.Id,
                Prompt = options.Prompt,
                NegativePrompt = options.NegativePrompt,
                Prompt2 = options.Prompt2,
                NegativePrompt2 = options.NegativePrompt2,
                UseRefiner = options.Refiner,
                Width = size.Width,
                Height = size.Height,
                Steps = options.Steps,
                Guidance = options.Guidance,
                Sampler = options.Sampler,
                Seed = seed,
                InitImage = init,
                Loras = options.Loras.Count == 0 ? null : LoraWeights(options, engine.Catalog),
                ControlNet = control,
            };

            var progress = new ProgressDisplay(stderr, interactive: !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error));
            var started = Stopwatch.StartNew();
            var result = await engine.GenerateAsync(request, new GenerationOptions { Progress = progress.Report }, cancellationToken);
            foreach (var warning in result.Warnings) stderr.WriteLine($"warning: {warning}");

            // Relative to the caller's working directory, which `dotnet run --project` keeps; the full path is printed.
            var outPath = Path.GetFullPath(options.OutPath ?? $"gateway-{seed}.{options.Format.Extension()}");
            var parameters = GenerationParameters.Of(request, result, 0, size.Width, size.Height);
            var bytes = new ImageOutput(gateway).Encode(result.Images[0].Image, options.Format, parameters, options.Quality);
            await File.WriteAllBytesAsync(outPath, bytes, cancellationToken);
            stdout.WriteLine($"Wrote {outPath} ({size}, seed {seed}, {result.Steps} steps, guidance {result.Guidance:0.##}, " +
                             $"sampler {result.Sampler}, {started.Elapsed.TotalSeconds:0.00} s)");
            return ExitOk;
        }
        catch (Exception e) when (e is InvalidGenerationRequestException or InvalidImageException or UnknownModelException)
        {
            return Fail(stderr, ExitUsage, e.Message);
        }
        catch (Exception e) when (e is ModelLoadException or ModelNotReadyException or IOException or UnauthorizedAccessException
                                       or ArgumentException or StartupException)
        {
            return Fail(stderr, ExitFailure, e.Message);
        }
        catch (OperationCanceledException)
        {
            return Fail(stderr, ExitFailure, "cancelled.");
        }
    }

    private static int Fail(TextWriter stderr, int code, string message)
    {
        stderr.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>The <c>--lora</c> options as the engine takes them (a later one for the same name wins); a LoRA without
    /// a weight gets its models.json <c>default_weight</c>, and an unknown name is left for the engine to refuse.</summary>
    private static Dictionary<string, double> LoraWeights(GenerateOptions options, ModelCatalog catalog)
    {
        var weights = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, weight) in options.Loras)
            weights[name] = weight ?? (catalog.TryGetLora(name, out var lora) ? lora.DefaultWeight : 1.0);
        return weights;
    }
}
