import Testing

/// Every container test, one at a time: they measure CPU shares and count cgroups, which
/// containers started by other tests in parallel would disturb.
@Suite(.serialized) struct ContainerTests {}
