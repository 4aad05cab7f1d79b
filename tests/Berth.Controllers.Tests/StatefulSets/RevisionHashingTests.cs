using System.Text;
using Berth.Controllers.StatefulSets;
using Berth.Controllers.Tests.Fakes;
using FsCheck;
using FsCheck.Fluent;

namespace Berth.Controllers.Tests.StatefulSets;

public sealed class RevisionHashingTests
{
    [Theory]
    [InlineData("", 0x811c9dc5u)]
    [InlineData("a", 0x050c5d7eu)]
    [InlineData("foobar", 0x31f0b262u)]
    public void Fnv1_matches_the_published_test_vectors(string input, uint expected) =>
        Assert.Equal(expected, RevisionHashing.Fnv1(Encoding.ASCII.GetBytes(input), null));

    [Fact]
    public void The_collision_count_is_hashed_as_decimal_text_after_the_data()
    {
        var data = Encoding.ASCII.GetBytes("{}");
        Assert.Equal(RevisionHashing.Fnv1(Encoding.ASCII.GetBytes("{}12"), null), RevisionHashing.Fnv1(data, 12));
        Assert.NotEqual(RevisionHashing.Hash(data, 0), RevisionHashing.Hash(data, 1));
    }

    [Fact]
    public void Safe_encoding_maps_digits_like_apimachinery()
    {
        Assert.Equal("456789bcdf", RevisionHashing.SafeEncode("0123456789"));
    }

    [Fact]
    public void Revision_names_cut_long_prefixes_to_223_characters()
    {
        Assert.Equal(new string('a', 223) + "-xyz", RevisionHashing.RevisionName(new string('a', 300), "xyz"));
    }

    [Fact]
    public void The_patch_versions_only_the_template_with_sorted_keys_and_a_replace_directive()
    {
        var set = TestSets.Web(claims: false);
        var patch = Encoding.UTF8.GetString(RevisionHashing.Patch(set));
        Assert.StartsWith("{\"spec\":{\"template\":{\"$patch\":\"replace\",\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[", patch, StringComparison.Ordinal);

        // Replicas, strategy and claims do not change the revision; the template does.
        var other = TestSets.Web(replicas: 7, claims: false);
        other.Spec.PodManagementPolicy = "Parallel";
        Assert.Equal(patch, Encoding.UTF8.GetString(RevisionHashing.Patch(other)));
        other.Spec.Template.Spec.Containers[0].Image = "nginx:2";
        Assert.NotEqual(patch, Encoding.UTF8.GetString(RevisionHashing.Patch(other)));
    }

    [Fact]
    public void Applying_a_revision_restores_its_template()
    {
        var set = TestSets.Web(claims: false);
        var revision = ControllerRevisions.New(set, 1, 0);
        var changed = TestSets.Web(claims: false, image: "nginx:2");
        var restored = ControllerRevisions.Apply(changed, revision);
        Assert.Equal("nginx:1.27", restored.Spec.Template.Spec.Containers[0].Image);
        Assert.True(ControllerRevisions.Equal(revision, ControllerRevisions.New(restored, 2, 0)));
        Assert.Equal("web-" + revision.Metadata.Labels["controller.kubernetes.io/hash"], revision.Metadata.Name);
    }

    [Fact]
    public void Hashes_only_use_the_safe_alphabet() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), ArbMap.Default.ArbFor<int>(), (s, c) =>
            RevisionHashing.Hash(Encoding.UTF8.GetBytes(s ?? string.Empty), Math.Abs(c % 1000))
                .All(ch => "bcdfghjklmnpqrstvwxz2456789".Contains(ch, StringComparison.Ordinal)))
            .QuickCheckThrowOnFailure();
}
