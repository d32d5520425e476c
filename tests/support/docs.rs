//! Every Rust block of the README and of docs/ runs as a doctest of this
//! crate, so the examples cannot drift from the code. The tutorial's
//! whole-file blocks are `ignore`d here: tests/tutorial/ builds them step
//! by step and checks the last ones against examples/chat.
//!
//! They are here rather than in the `aqueduct` crate because a published
//! crate holds only its own directory: the facade's package could not
//! include these pages.

#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

#[doc = include_str!("../../docs/tutorial/README.md")]
struct TutorialDoctests;

#[doc = include_str!("../../docs/tutorial/part-1.md")]
struct TutorialPart1Doctests;

#[doc = include_str!("../../docs/tutorial/part-2.md")]
struct TutorialPart2Doctests;

#[doc = include_str!("../../docs/tutorial/part-3.md")]
struct TutorialPart3Doctests;

#[doc = include_str!("../../docs/tutorial/part-4.md")]
struct TutorialPart4Doctests;

#[doc = include_str!("../../docs/topics/consumers.md")]
struct ConsumersDoctests;

#[doc = include_str!("../../docs/topics/routing.md")]
struct RoutingDoctests;

#[doc = include_str!("../../docs/topics/channel-layers.md")]
struct ChannelLayersDoctests;

#[doc = include_str!("../../docs/topics/testing.md")]
struct TestingDoctests;

#[doc = include_str!("../../docs/topics/server.md")]
struct ServerDoctests;

#[doc = include_str!("../../docs/topics/views.md")]
struct ViewsDoctests;

#[doc = include_str!("../../docs/topics/deployment.md")]
struct DeploymentDoctests;

#[doc = include_str!("../../docs/topics/security.md")]
struct SecurityDoctests;
