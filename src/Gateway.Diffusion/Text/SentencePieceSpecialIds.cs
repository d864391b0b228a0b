using Google.Protobuf;

namespace Gateway.Diffusion.Text;

/// <summary>
/// The special ids of a SentencePiece model file (<c>ModelProto.trainer_spec</c>: unk_id 40, bos_id 41, eos_id 42,
/// pad_id 43, with the proto's defaults 0, 1, 2, −1), and a way to give a model without a BOS piece one.
/// </summary>
/// <remarks>
/// T5's models have no BOS (bos_id −1), and Microsoft.ML.Tokenizers 2.0.1's unigram model throws an
/// IndexOutOfRangeException when it loads such a model. T5 never adds a BOS, so the tokenizer is given one it will not
/// use, and the pieces, scores and normalizer it encodes with stay the file's.
/// </remarks>
internal sealed record SentencePieceSpecialIds(int Unk, int Bos, int Eos, int Pad)
{
    private const int TrainerSpecField = 2;
    private const int UnkIdField = 40;
    private const int BosIdField = 41;
    private const int EosIdField = 42;
    private const int PadIdField = 43;

    /// <exception cref="InvalidProtocolBufferException">The bytes are not a protocol buffer.</exception>
    public static SentencePieceSpecialIds Read(byte[] model)
    {
        var ids = new SentencePieceSpecialIds(0, 1, 2, -1);
        var input = new CodedInputStream(model);
        while (input.ReadTag() is var tag && tag != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != TrainerSpecField || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            {
                input.SkipLastField();
                continue;
            }
            var spec = new CodedInputStream(input.ReadBytes().ToByteArray());
            while (spec.ReadTag() is var specTag && specTag != 0)
            {
                if (WireFormat.GetTagWireType(specTag) != WireFormat.WireType.Varint)
                {
                    spec.SkipLastField();
                    continue;
                }
                switch (WireFormat.GetTagFieldNumber(specTag))
                {
                    case UnkIdField: ids = ids with { Unk = spec.ReadInt32() }; break;
                    case BosIdField: ids = ids with { Bos = spec.ReadInt32() }; break;
                    case EosIdField: ids = ids with { Eos = spec.ReadInt32() }; break;
                    case PadIdField: ids = ids with { Pad = spec.ReadInt32() }; break;
                    default: spec.SkipLastField(); break;
                }
            }
        }
        return ids;
    }

    /// <summary>The model with its trainer_spec's bos_id set to <paramref name="bos"/>: a second trainer_spec holding only
    /// that field, which a protocol buffer reader merges into the first.</summary>
    public byte[] WithBos(int bos, byte[] model)
    {
        if (bos == Bos) return model;
        var spec = new MemoryStream();
        var specWriter = new CodedOutputStream(spec);
        specWriter.WriteTag(BosIdField, WireFormat.WireType.Varint);
        specWriter.WriteInt32(bos);
        specWriter.Flush();
        var output = new MemoryStream();
        output.Write(model);
        var writer = new CodedOutputStream(output);
        writer.WriteTag(TrainerSpecField, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(ByteString.CopyFrom(spec.ToArray()));
        writer.Flush();
        return output.ToArray();
    }
}
