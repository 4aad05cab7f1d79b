using Berth.Controllers.StatefulSets;
using Berth.Controllers.Tests.Fakes;

namespace Berth.Controllers.Tests.StatefulSets;

public sealed class RevisionTests
{
    [Fact]
    public async Task A_new_revision_round_trips_through_the_api_with_equal_data()
    {
        var api = new FakeApiClient();
        var set = await api.CreateAsync(TestSets.Web());
        var revision = ControllerRevisions.New(set, 1, 0);
        var stored = await api.CreateAsync(revision, TestContext.Current.CancellationToken);
        Assert.True(ControllerRevisions.Equal(revision, stored));
        Assert.Equal(revision.Metadata.Name, stored.Metadata.Name);
    }
}
