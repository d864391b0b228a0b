using Gateway.Errors;

namespace Gateway.Tests.Shared;

public sealed class ErrorMappingTests
{
    [Fact]
    public void A_run_the_server_stopped_is_a_503_to_retry_not_a_500()
    {
        foreach (var stopped in new Exception[] { new OperationCanceledException(), new TaskCanceledException() })
        {
            var error = ErrorHandlingMiddleware.Map(stopped);
            Assert.Equal(503, error.Status);
            Assert.Equal("generation_stopped", error.Code);
            Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
        }
        Assert.Equal(500, ErrorHandlingMiddleware.Map(new InvalidOperationException("a bug")).Status);
    }
}
