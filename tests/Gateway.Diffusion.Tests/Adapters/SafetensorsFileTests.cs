using System.Buffers.Binary;
using Gateway.Diffusion.Adapters;
using Gateway.Diffusion.Models;

namespace Gateway.Diffusion.Tests.Adapters;

public sealed class SafetensorsFileTests
{
    [Theory]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void Reads_each_float_dtype(string dtype)
    {
        var bytes = SafetensorsBuilder.Build(new() { ["w"] = ([2, 2], [1f, -2.5f, 0.375f, 1024f]) }, dtype);
        var file = SafetensorsFile.Parse(bytes, "x.safetensors");
        Assert.True(file.TryGet("w", out var entry));
        Assert.Equal([2L, 2L], entry.Shape);
        Assert.Equal([1f, -2.5f, 0.375f, 1024f], file.ReadFloats(entry));
    }

    public static TheoryData<string, byte[]> Corrupt()
    {
        var good = SafetensorsBuilder.Build(new() { ["w"] = ([2], [1f, 2f]) });
        var hugeHeader = (byte[])good.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(hugeHeader, long.MaxValue);
        var negativeHeader = (byte[])good.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(negativeHeader, -5);
        return new()
        {
            { "short", [1, 2, 3] },
            { "header length past the end", hugeHeader },
            { "negative header length", negativeHeader },
            { "truncated data", good[..^3] },
            { "not json", SafetensorsBuilder.Raw("{\"w\":", new byte[8]) },
            { "offsets past the data", SafetensorsBuilder.Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,800]}}", new byte[8]) },
            { "shape disagrees with bytes", SafetensorsBuilder.Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]) },
            { "negative offset", SafetensorsBuilder.Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", new byte[8]) },
            { "huge shape", SafetensorsBuilder.Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", new byte[8]) },
            { "overflowing shape", SafetensorsBuilder.Raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,4],\"data_offsets\":[0,8]}}", new byte[8]) },
            { "unknown dtype", SafetensorsBuilder.Raw("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]) },
            { "missing fields", SafetensorsBuilder.Raw("{\"w\":{\"dtype\":\"F32\"}}", new byte[8]) },
            { "array header", SafetensorsBuilder.Raw("[1,2]", new byte[8]) },
        };
    }

    [Theory]
    [MemberData(nameof(Corrupt))]
    public void A_corrupt_file_is_a_load_error_naming_it(string why, byte[] bytes)
    {
        var e = Assert.Throws<ModelLoadException>(() => SafetensorsFile.Parse(bytes, "bad.safetensors"));
        Assert.StartsWith("bad.safetensors:", e.Message);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void A_non_float_lora_tensor_is_refused_by_name()
    {
        var bytes = SafetensorsBuilder.Raw("{\"w\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]);
        var file = SafetensorsFile.Parse(bytes, "ints.safetensors");
        file.TryGet("w", out var entry);
        var e = Assert.Throws<ModelLoadException>(() => file.ReadFloats(entry));
        Assert.Contains("'w'", e.Message);
    }
}
