using Gateway.Apis.Jobs;

namespace Gateway.Tests.Jobs;

public sealed class PromptAutofillTests
{
    [Fact]
    public void Missing_trigger_words_go_in_front_and_present_ones_are_not_repeated()
    {
        Assert.Equal("zeek, a cat", PromptAutofill.Apply("a cat", ["zeek"]));
        Assert.Equal("Zeek wearing a hat", PromptAutofill.Apply("Zeek wearing a hat", ["zeek"]));
        Assert.Equal("witch hat, a zeek", PromptAutofill.Apply("a zeek", ["zeek", "witch hat"]));
        Assert.Equal("a cat", PromptAutofill.Apply("a cat", []));
    }
}
