using Gateway.Diffusion.Pipelines;

namespace Gateway.Cli;

/// <summary>A progress bar on a terminal; plain lines when standard error is redirected (logs, CI).</summary>
public sealed class ProgressDisplay(TextWriter writer, bool interactive)
{
    private const int Width = 30;

    public void Report(GenerationProgress progress)
    {
        if (!interactive)
        {
            writer.WriteLine($"step {progress.Step}/{progress.Steps}");
            return;
        }
        var filled = progress.Steps == 0 ? Width : progress.Step * Width / progress.Steps;
        writer.Write($"\r[{new string('#', filled)}{new string('-', Width - filled)}] {progress.Step}/{progress.Steps}");
        if (progress.Step == progress.Steps) writer.WriteLine();
        writer.Flush();
    }
}
