using System.Text.Json;

namespace Gateway.Diffusion.Tests.Noise;

/// <summary>One case of Fixtures/noise/torch_randn.json: what <c>torch.manual_seed(seed); torch.randn(shape)</c> gave.</summary>
public sealed record TorchRandnCase(
    ulong Seed,
    int Count,
    bool IsSecondDraw,
    double? Sum,
    double? SumAbs,
    IReadOnlyList<(int Offset, float[] Values)> Slices)
{
    public override string ToString() => $"seed {Seed}, {Count} elements{(IsSecondDraw ? ", second draw" : "")}";

    public static IReadOnlyList<TorchRandnCase> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "noise", "torch_randn.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(Parse).ToList();
    }

    private static TorchRandnCase Parse(JsonElement element)
    {
        int count = element.GetProperty("count").GetInt32();
        var slices = new List<(int, float[])>();
        AddSlice("values", 0);
        AddSlice("first16", 0);
        AddSlice("last16", count - 16);
        AddSlice("at_1000", 1000);

        bool secondDraw = element.TryGetProperty("note", out JsonElement note)
            && note.GetString()!.StartsWith("second randn call", StringComparison.Ordinal);

        return new TorchRandnCase(
            element.GetProperty("seed").GetUInt64(),
            count,
            secondDraw,
            element.TryGetProperty("sum", out JsonElement sum) ? sum.GetDouble() : null,
            element.TryGetProperty("sum_abs", out JsonElement sumAbs) ? sumAbs.GetDouble() : null,
            slices);

        void AddSlice(string name, int offset)
        {
            if (element.TryGetProperty(name, out JsonElement values) && values.GetArrayLength() > 0)
            {
                // The JSON holds float32 values printed as doubles; the cast recovers the exact float.
                slices.Add((offset, values.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()));
            }
        }
    }
}
